import { parsePhoneNumber } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import type { Lang } from './i18n';
import type { InfoRouteId } from './routing/routes';

/** The phone lines the bot gives out. */
export type PhoneId = 'registration' | 'ramqTechnical' | 'ramqQuebec' | 'ramqMontreal' | 'ramqElsewhere';

/** A phone line as shown to the user and as dialled from a `tel:` link. */
export interface PhoneLine {
  id: PhoneId;
  /** Written the Québec way, e.g. `418 821-1743`. */
  display: string;
  /** E.164, e.g. `+14188211743`. */
  e164: string;
  /** `tel:` URL for a tap-to-call button. */
  telUrl: string;
}

const PHONE_NUMBERS: Record<PhoneId, string> = {
  registration: '418 821-1743', // CIUSSSCN, registration to the DMA registry (no published hours)
  ramqTechnical: '418 643-8210', // RAMQ technical support after registration
  ramqQuebec: '418 780-4208', // RAMQ general line, Québec
  ramqMontreal: '514 687-3612', // RAMQ general line, Montréal
  ramqElsewhere: '1 888 330-3023', // RAMQ general line, elsewhere in Québec
};

function phoneLine(id: PhoneId): PhoneLine {
  const parsed = parsePhoneNumber(PHONE_NUMBERS[id], 'CA');
  return { id, display: PHONE_NUMBERS[id], e164: parsed.number, telUrl: parsed.getURI() };
}

/** Every phone line, with its E.164 form computed by libphonenumber-js. */
export const PHONES: Record<PhoneId, PhoneLine> = {
  registration: phoneLine('registration'),
  ramqTechnical: phoneLine('ramqTechnical'),
  ramqQuebec: phoneLine('ramqQuebec'),
  ramqMontreal: phoneLine('ramqMontreal'),
  ramqElsewhere: phoneLine('ramqElsewhere'),
};

/** E-mail addresses quoted in answers. */
export const EMAILS = {
  /** CIUSSSCN access manager: registration to the DMA registry, withdrawals. */
  registration: 'Inscription.registreDMA.ciusscscn@ssss.gouv.qc.ca',
  /** RAMQ: where signed online-services access forms (B2B, SELAT) are sent. */
  ramqAccessForms: 'Demandes_accès_SEL@ramq.gouv.qc.ca',
  /** RAMQ: sender of the "create your account" e-mail. */
  ramqOnlineServicesSender: 'Inscription.ServiceEnLigne@ramq.gouv.qc.ca',
} as const;

/** RAMQ's mailing address for signed forms, one line per element. */
export const RAMQ_MAILING_ADDRESS = ["Régie de l'assurance maladie du Québec", 'C. P. 6600, succ. Terminus', 'Québec (Québec) G1K 7T3'] as const;

/** Numbers and dates the answers quote. */
export const FACTS = {
  secretCodeValidDays: 5,
  secretQuestionCount: 8,
  passwordMinLength: 8,
  /** Online-services credentials sent by e-mail for requests received from this date. */
  credentialsByEmailSince: '2021-07-22',
  /** Same change for the B2B forms 4058, 4123, 4134, 4444. */
  b2bCredentialsByEmailSince: '2022-03-31',
  b2bFormsByEmail: ['4058', '4123', '4134', '4444'],
  /** Forms not covered by the 2021 change (at the time). */
  formsNotCovered2021: { b2b: ['4058', '4123', '4134', '4354', '4444'], selat: ['4135', '4151', '4200', '4366', '4438'], dmaRegistry: ['4346'] },
} as const;

/** Card buttons that send the user back into the bot (verbs of the welcome menu). */
export type FollowUpVerb = 'menu.access' | 'menu.withdraw' | 'menu.status' | 'menu.help' | 'menu.agent';

/**
 * What an information route answers with: the locale keys of its text (namespace `knowledge`, section `section`),
 * the phone buttons and the follow-up buttons.
 */
export interface KnowledgeEntry {
  section: string;
  /** Paragraph keys, in order, under `knowledge:<section>.`. */
  paragraphs: readonly string[];
  /** Step keys, in order, rendered as a numbered list (title `knowledge:<section>.stepsTitle`). */
  steps: readonly string[];
  /** Small print key under the section, or null. */
  note: string | null;
  phones: readonly PhoneId[];
  followUps: readonly FollowUpVerb[];
}

/** The answer of every information route. */
export const KNOWLEDGE: Record<InfoRouteId, KnowledgeEntry> = {
  'support.registration': {
    section: 'registration',
    paragraphs: ['intro', 'expiredCode', 'missingEmail'],
    steps: ['openEmail', 'acceptPolicy', 'enterCode', 'chooseUserName', 'choosePassword', 'answerQuestions'],
    note: 'codeNeverByEmail',
    phones: ['registration'],
    followUps: ['menu.status', 'menu.agent', 'menu.help'],
  },
  'support.ramq_technical': {
    section: 'technical',
    paragraphs: ['intro', 'handles', 'notRegistration'],
    steps: [],
    note: 'confidential',
    phones: ['ramqTechnical', 'registration'],
    followUps: ['menu.agent', 'menu.help'],
  },
  'info.hours': {
    section: 'hours',
    paragraphs: ['lines', 'schedule', 'holidays'],
    steps: [],
    note: 'registrationLine',
    phones: ['ramqQuebec', 'ramqMontreal', 'ramqElsewhere'],
    followUps: ['menu.help'],
  },
  'info.credentials_email': {
    section: 'credentials',
    paragraphs: ['intro', 'whoGetsWhat', 'twoAddresses', 'noSharedMailbox', 'before', 'ramqLines'],
    steps: [],
    note: 'confidential',
    phones: ['ramqQuebec', 'ramqMontreal', 'ramqElsewhere'],
    followUps: ['menu.agent', 'menu.help'],
  },
  'info.password_rules': {
    section: 'password',
    paragraphs: ['intro', 'ruleLength', 'ruleLetters', 'ruleMix', 'neverShare', 'forgotten'],
    steps: [],
    note: null,
    phones: ['ramqTechnical'],
    followUps: ['menu.help'],
  },
  'info.b2b_forms': {
    section: 'b2b',
    paragraphs: ['form4058', 'identifiers', 'itManager', 'authorization', 'otherForms', 'ramqLines'],
    steps: ['fill', 'sign', 'send'],
    note: 'withdrawal',
    phones: ['ramqQuebec', 'ramqMontreal', 'ramqElsewhere'],
    followUps: ['menu.agent', 'menu.help'],
  },
  'info.rvsq': {
    section: 'rvsq',
    paragraphs: ['intro'],
    steps: ['adminSignsIn', 'addUser', 'passCode', 'userCreatesAccount', 'addInRvsq'],
    note: 'userName',
    phones: [],
    followUps: ['menu.agent', 'menu.help'],
  },
};

function formatDay(isoDate: string, lang: Lang): string {
  const day = DateTime.fromISO(isoDate, { zone: 'America/Toronto' });
  return lang === 'fr' ? day.setLocale('fr-CA').toFormat('d LLLL yyyy') : day.setLocale('en-CA').toFormat('LLLL d, yyyy');
}

/** Values interpolated into the knowledge texts (`{{registrationPhone}}`…), so locale files hold wording and knowledge.ts holds facts. */
export function knowledgeValues(lang: Lang): Record<string, string | number> {
  return {
    credentialsDate: formatDay(FACTS.credentialsByEmailSince, lang),
    b2bDate: formatDay(FACTS.b2bCredentialsByEmailSince, lang),
    registrationPhone: PHONES.registration.display,
    technicalPhone: PHONES.ramqTechnical.display,
    quebecPhone: PHONES.ramqQuebec.display,
    montrealPhone: PHONES.ramqMontreal.display,
    elsewherePhone: PHONES.ramqElsewhere.display,
    registrationEmail: EMAILS.registration,
    formsEmail: EMAILS.ramqAccessForms,
    ramqSenderEmail: EMAILS.ramqOnlineServicesSender,
    ramqMailingAddress: RAMQ_MAILING_ADDRESS.join(', '),
    secretCodeDays: FACTS.secretCodeValidDays,
    secretQuestions: FACTS.secretQuestionCount,
    passwordMinLength: FACTS.passwordMinLength,
    b2bForms: FACTS.b2bFormsByEmail.join(', '),
    notCoveredB2b: FACTS.formsNotCovered2021.b2b.join(', '),
    notCoveredSelat: FACTS.formsNotCovered2021.selat.join(', '),
    notCoveredRegistry: FACTS.formsNotCovered2021.dmaRegistry.join(', '),
  };
}
