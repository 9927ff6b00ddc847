import fc from 'fast-check';
import { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS } from '../../bot/config';
import { LANGS, translator } from '../../domain/i18n';
import {
  echoValue,
  errorMessages,
  isSharedMailbox,
  validateIntake,
  validateTriage,
  validateWithdrawal,
  VALIDATION_CODES,
  type IntakeContext,
  type ValidationCode,
} from '../../domain/intake/fields';
import { fieldsFor, type RequestKind, type RequesterRole } from '../../domain/intake/kinds';
import { findReference, formatReference, parseReference } from '../../domain/intake/reference';
import { looksLikeSecret } from '../../domain/intake/secrets';

const MANAGER_EMAIL = 'chef.equipe@ciussscn.example.ca';

const GOOD: Record<RequestKind, Record<string, string>> = {
  access_with_code: {
    lastName: 'Côté',
    firstName: 'Jean-François',
    practiceLocation: 'CLSC de Limoilou',
    email: 'jean-francois.cote@example.ca',
    ramqUserCode: 'jfcote@example.ca',
  },
  access_without_code: {
    lastName: "O'Neil",
    firstName: 'Léa',
    employeeNumber: 'AB1234',
    jobTitle: 'Inhalothérapeute',
    practiceLocation: 'Hôpital Jeffery Hale',
    email: 'lea.oneil@example.ca',
  },
  withdrawal: {
    lastName: 'Roy',
    firstName: 'Jacques',
    employeeNumber: '987654',
    jobTitle: 'Travailleur social',
    email: 'jacques.roy@example.ca',
  },
};

function goodInput(kind: RequestKind, role: RequesterRole): Record<string, unknown> {
  const base: Record<string, unknown> = { ...GOOD[kind] };
  if (kind !== 'withdrawal' && role === 'manager') base.supervisorAuthorized = 'true';
  return base;
}

function validate(kind: RequestKind, role: RequesterRole, raw: Record<string, unknown>, ctx: IntakeContext) {
  return kind === 'withdrawal' ? validateWithdrawal(raw, ctx) : validateIntake(kind, role as 'physician' | 'manager', raw, ctx);
}

type BadCase = [description: string, kind: RequestKind, role: RequesterRole, field: string, value: unknown, code: ValidationCode, ctx?: IntakeContext];

const BAD: BadCase[] = [
  ['an empty last name', 'access_with_code', 'physician', 'lastName', '', 'required'],
  ['a last name of spaces only', 'access_with_code', 'physician', 'lastName', '   \t ', 'required'],
  ['a missing last name', 'access_without_code', 'manager', 'lastName', undefined, 'required'],
  ['a null first name', 'access_with_code', 'physician', 'firstName', null, 'required'],
  ['a last name with a digit', 'access_with_code', 'physician', 'lastName', 'Tremblay2', 'nameDigits'],
  ['a first name with an Arabic-Indic digit', 'access_without_code', 'physician', 'firstName', 'Léa٣', 'nameDigits'],
  ['a first name with a symbol', 'access_with_code', 'physician', 'firstName', 'Jean!', 'nameChars'],
  ['a first name starting with a hyphen', 'access_with_code', 'physician', 'firstName', '-Jean', 'nameChars'],
  ['a last name with an @', 'withdrawal', 'supervisor', 'lastName', 'roy@example.ca', 'nameChars'],
  ['a last name of 101 letters', 'access_with_code', 'physician', 'lastName', 'a'.repeat(101), 'nameTooLong'],
  ['a first name sent as a number', 'access_with_code', 'physician', 'firstName', 42, 'invalidType'],
  ['a last name sent as an object', 'access_without_code', 'manager', 'lastName', { text: 'Roy' }, 'invalidType'],
  ['an empty practice location', 'access_with_code', 'physician', 'practiceLocation', '', 'required'],
  ['a one-letter practice location', 'access_with_code', 'physician', 'practiceLocation', ' Q ', 'practiceLocationTooShort'],
  ['a practice location of 201 characters', 'access_without_code', 'physician', 'practiceLocation', 'x'.repeat(201), 'practiceLocationTooLong'],
  ['an email without @', 'access_with_code', 'physician', 'email', 'marie.tremblay', 'emailInvalid'],
  ['an email without a top-level domain', 'access_with_code', 'physician', 'email', 'marie@tremblay', 'emailInvalid'],
  ['an email with a display name', 'access_without_code', 'manager', 'email', 'Marie <marie@example.ca>', 'emailInvalid'],
  ['an email sent as a list', 'access_with_code', 'physician', 'email', ['marie@example.ca'], 'invalidType'],
  ['a shared mailbox information@', 'access_with_code', 'physician', 'email', 'information@clinique.example.ca', 'emailSharedMailbox'],
  ['a shared mailbox in capitals', 'access_without_code', 'manager', 'email', 'Info@Clinique.example.ca', 'emailSharedMailbox'],
  ['a shared mailbox no-reply', 'access_with_code', 'physician', 'email', 'no-reply@example.ca', 'emailSharedMailbox'],
  ['a shared mailbox with accent and +tag', 'access_without_code', 'physician', 'email', 'secrétariat+dma@example.ca', 'emailSharedMailbox'],
  ['a shared mailbox from a custom list', 'access_with_code', 'physician', 'email', 'registre@example.ca', 'emailSharedMailbox', { sharedMailboxLocalParts: ['registre'] }],
  ['a shared mailbox on a withdrawal', 'withdrawal', 'supervisor', 'email', 'admin@example.ca', 'emailSharedMailbox'],
  ["the manager's own email", 'access_with_code', 'manager', 'email', ' Chef.Equipe@CIUSSSCN.example.ca ', 'emailSameAsRequester'],
  ['a RAMQ user code of 3 characters', 'access_with_code', 'physician', 'ramqUserCode', 'ab1', 'ramqUserCodeInvalid'],
  ['a RAMQ user code with a hyphen', 'access_with_code', 'manager', 'ramqUserCode', 'abc-123', 'ramqUserCodeInvalid'],
  ['a RAMQ user code of 21 characters', 'access_with_code', 'physician', 'ramqUserCode', 'a'.repeat(21), 'ramqUserCodeInvalid'],
  ['a RAMQ user code that is a broken email', 'access_with_code', 'physician', 'ramqUserCode', 'jcote@', 'ramqUserCodeInvalid'],
  ['a missing RAMQ user code', 'access_with_code', 'physician', 'ramqUserCode', undefined, 'required'],
  ['an employee number of 2 characters', 'access_without_code', 'physician', 'employeeNumber', '12', 'employeeNumberInvalid'],
  ['an employee number of 13 characters', 'access_without_code', 'manager', 'employeeNumber', '1234567890123', 'employeeNumberInvalid'],
  ['an employee number with a hyphen', 'withdrawal', 'supervisor', 'employeeNumber', '12-345', 'employeeNumberInvalid'],
  ['an employee number without a digit', 'access_without_code', 'physician', 'employeeNumber', 'ABCDEF', 'employeeNumberNoDigit'],
  ['a missing employee number on a withdrawal', 'withdrawal', 'supervisor', 'employeeNumber', undefined, 'required'],
  ['a one-letter job title', 'access_without_code', 'physician', 'jobTitle', 'X', 'jobTitleTooShort'],
  ['a job title of 101 characters', 'withdrawal', 'supervisor', 'jobTitle', 'y'.repeat(101), 'jobTitleTooLong'],
  ['a supervisor authorization switched off', 'access_with_code', 'manager', 'supervisorAuthorized', 'false', 'supervisorAuthorizationRequired'],
  ['a missing supervisor authorization', 'access_without_code', 'manager', 'supervisorAuthorized', undefined, 'supervisorAuthorizationRequired'],
  ['a supervisor authorization of another word', 'access_without_code', 'manager', 'supervisorAuthorized', 'oui', 'supervisorAuthorizationRequired'],
  ['a supervisor authorization sent as a boolean', 'access_with_code', 'manager', 'supervisorAuthorized', true, 'invalidType'],
];

describe('intake validation: bad inputs', () => {
  it('has a table of at least 25 cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(25);
  });

  it.each(BAD)('when %s is entered, then %s/%s refuses %s with the expected code and keeps every other value', (...row: BadCase) => {
    // A rest parameter: jest-each would take a 7th declared parameter for a `done` callback.
    const [, kind, role, field, value, code, ctx] = row;
    const raw = { ...goodInput(kind, role), [field]: value, verb: 'intake.submit', cardId: 'card-1' };
    const result = validate(kind, role, raw, { requesterEmail: MANAGER_EMAIL, ...ctx });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({ [field]: code });
    const expectedValues: Record<string, string> = {};
    for (const f of fieldsFor(kind, role)) expectedValues[f] = f === field ? echoValue(value) : String(raw[f]);
    expect(result.values).toEqual(expectedValues);
  });

  it('when several fields are wrong, then each one gets its own code and the raw text is kept as typed', () => {
    const result = validateIntake('access_without_code', 'manager', {
      lastName: ' Gagnon2 ',
      firstName: '',
      employeeNumber: 'ABC',
      jobTitle: 'Infirmière',
      practiceLocation: 'CLSC Haute-Ville',
      email: 'accueil@example.ca',
      supervisorAuthorized: 'false',
    });
    expect(result).toEqual({
      ok: false,
      values: {
        lastName: ' Gagnon2 ',
        firstName: '',
        employeeNumber: 'ABC',
        jobTitle: 'Infirmière',
        practiceLocation: 'CLSC Haute-Ville',
        email: 'accueil@example.ca',
        supervisorAuthorized: 'false',
      },
      errors: {
        lastName: 'nameDigits',
        firstName: 'required',
        employeeNumber: 'employeeNumberNoDigit',
        email: 'emailSharedMailbox',
        supervisorAuthorized: 'supervisorAuthorizationRequired',
      },
    });
  });

  it('when the submission is not an object at all, then every field is required and nothing throws', () => {
    for (const raw of [null, undefined, 'text', 42, ['a']]) {
      const result = validateWithdrawal(raw as unknown as Record<string, unknown>);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(Object.values(result.errors).every((c) => c === 'required')).toBe(true);
    }
  });

  it('when a crafted value is huge, then the echoed value is capped', () => {
    const result = validateIntake('access_with_code', 'physician', { ...GOOD.access_with_code, practiceLocation: 'z'.repeat(50_000) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.values.practiceLocation.length).toBe(1000);
  });

  it('never throws and always echoes exactly the kind’s fields, whatever the card sends', () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object(), fc.array(fc.string()));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('lastName', 'firstName', 'email', 'practiceLocation', 'ramqUserCode', 'employeeNumber', 'jobTitle', 'supervisorAuthorized', 'x'), anyValue), (raw) => {
        for (const [kind, role] of [['access_with_code', 'manager'], ['access_without_code', 'physician'], ['withdrawal', 'supervisor']] as const) {
          const result = validate(kind, role, raw, {});
          if (!result.ok) {
            expect(Object.keys(result.values).sort()).toEqual([...fieldsFor(kind, role)].sort());
            for (const v of Object.values(result.values)) expect(typeof v).toBe('string');
            for (const c of Object.values(result.errors)) expect(VALIDATION_CODES).toContain(c);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('intake validation: good inputs', () => {
  it('when a physician with a RAMQ code fills the form, then values are trimmed, collapsed and emails lower-cased', () => {
    const result = validateIntake(
      'access_with_code',
      'physician',
      {
        lastName: '  Côté ',
        firstName: 'Jean-François',
        practiceLocation: '  CLSC   de\tLimoilou ',
        email: ' Jean-Francois.Cote@Example.CA ',
        ramqUserCode: 'JFCote@Example.ca',
        verb: 'intake.submit',
        cardId: 'c1',
      },
      { requesterEmail: 'jean-francois.cote@example.ca' },
    );
    expect(result).toEqual({
      ok: true,
      values: {
        lastName: 'Côté',
        firstName: 'Jean-François',
        practiceLocation: 'CLSC de Limoilou',
        email: 'jean-francois.cote@example.ca',
        ramqUserCode: 'jfcote@example.ca',
      },
    });
  });

  it('when a RAMQ code is letters and digits, then it is kept as typed', () => {
    const result = validateIntake('access_with_code', 'physician', { ...GOOD.access_with_code, ramqUserCode: ' Ab12Cd ' });
    expect(result.ok && result.values.ramqUserCode).toBe('Ab12Cd');
  });

  it('when a manager files for a professional with the supervisor’s authorization, then it passes and records it', () => {
    const result = validateIntake(
      'access_without_code',
      'manager',
      { ...GOOD.access_without_code, lastName: 'D’Amours', firstName: 'Zoë  Anne', supervisorAuthorized: 'true' },
      { requesterEmail: MANAGER_EMAIL },
    );
    expect(result).toEqual({
      ok: true,
      values: { ...GOOD.access_without_code, lastName: 'D’Amours', firstName: 'Zoë Anne', supervisorAuthorized: true },
    });
  });

  it('when a supervisor files a withdrawal, then the professional’s values pass', () => {
    expect(validateWithdrawal({ ...GOOD.withdrawal, email: 'Jacques.Roy@Example.ca' })).toEqual({
      ok: true,
      values: { ...GOOD.withdrawal, email: 'jacques.roy@example.ca' },
    });
  });

  it('when accents are typed decomposed, then names pass and come out composed (NFC)', () => {
    const result = validateIntake('access_with_code', 'physician', { ...GOOD.access_with_code, firstName: 'Ce\u0301line' });
    expect(result.ok && result.values.firstName).toBe('Céline');
  });

  it.each([
    ['marie.info@example.ca', 'a list word that is not the whole local part'],
    ['informatique.jean@example.ca', 'a word that only starts like a list entry'],
  ])('when the email is %s (%s), then it is accepted', (email) => {
    expect(validateIntake('access_with_code', 'physician', { ...GOOD.access_with_code, email }).ok).toBe(true);
  });

  it('when a physician enters their own email, then it is accepted (only a manager must use another address)', () => {
    const result = validateIntake('access_with_code', 'physician', { ...GOOD.access_with_code, email: MANAGER_EMAIL }, { requesterEmail: MANAGER_EMAIL });
    expect(result.ok).toBe(true);
  });
});

describe('shared mailboxes', () => {
  it('uses the configuration’s list by default', () => {
    for (const local of DEFAULT_SHARED_MAILBOX_LOCAL_PARTS) expect(isSharedMailbox(`${local}@example.ca`)).toBe(true);
    expect(isSharedMailbox('prenom.nom@example.ca')).toBe(false);
  });

  it('uses a caller’s list when given', () => {
    expect(isSharedMailbox('info@example.ca', ['dma'])).toBe(false);
    expect(isSharedMailbox('DMA2@example.ca', ['dma'])).toBe(true);
  });

  it('answers the same with a frozen list (its canonical forms kept) as with the same list unfrozen, for any address', () => {
    const local = fc.stringMatching(/^[a-zA-Zéèà0-9._+-]{0,14}$/);
    fc.assert(
      fc.property(fc.array(local, { maxLength: 6 }), fc.oneof(local, fc.constantFrom(...DEFAULT_SHARED_MAILBOX_LOCAL_PARTS)), (parts, candidate) => {
        const frozen = Object.freeze([...parts, 'info']);
        const email = `${candidate}@example.ca`;
        expect(isSharedMailbox(email, frozen)).toBe(isSharedMailbox(email, [...frozen]));
        expect(isSharedMailbox(email, frozen)).toBe(isSharedMailbox(email, [...frozen]));
        expect(isSharedMailbox(email)).toBe(isSharedMailbox(email, [...DEFAULT_SHARED_MAILBOX_LOCAL_PARTS]));
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});

describe('triage', () => {
  it.each([
    ['physician', 'yes', 'access_with_code'],
    ['manager', 'no', 'access_without_code'],
  ])('when %s answers %s, then the kind is %s', (requesterRole, hasRamqCode, kind) => {
    expect(validateTriage({ requesterRole, hasRamqCode, verb: 'intake.triage' })).toEqual({ ok: true, values: { requesterRole, hasRamqCode, kind } });
  });

  it('when an answer is missing or unknown, then it asks to choose and keeps the other', () => {
    expect(validateTriage({ requesterRole: 'supervisor', hasRamqCode: 'yes' })).toEqual({
      ok: false,
      values: { requesterRole: 'supervisor', hasRamqCode: 'yes' },
      errors: { requesterRole: 'choiceRequired' },
    });
    expect(validateTriage({ requesterRole: 'manager' })).toEqual({
      ok: false,
      values: { requesterRole: 'manager', hasRamqCode: '' },
      errors: { hasRamqCode: 'choiceRequired' },
    });
  });
});

describe('error messages', () => {
  it.each(LANGS)('every code has its own message in %s', (lang) => {
    const t = translator(lang);
    const all = Object.fromEntries(VALIDATION_CODES.map((c) => [c, c]));
    const messages = errorMessages(all, t);
    for (const code of VALIDATION_CODES) {
      expect(messages[code]).toBeTruthy();
      expect(messages[code]).not.toContain('validation:');
      expect(messages[code]).not.toBe(code);
    }
    expect(new Set(Object.values(messages)).size).toBe(VALIDATION_CODES.length);
  });

  it('gives the seed’s reason for a shared mailbox, in French and English', () => {
    expect(errorMessages({ email: 'emailSharedMailbox' }, translator('fr')).email).toMatch(/personnelle ou professionnelle.*information@/);
    expect(errorMessages({ email: 'emailSharedMailbox' }, translator('en')).email).toMatch(/personal or professional.*information@/);
  });
});

describe('references', () => {
  it.each([
    [2026, 42, 'DMA-2026-00042'],
    [2026, 1, 'DMA-2026-00001'],
    [2027, 99999, 'DMA-2027-99999'],
    [2027, 123456, 'DMA-2027-123456'],
  ])('formats %i/%i as %s', (year, n, expected) => {
    expect(formatReference(year, n)).toBe(expected);
    expect(parseReference(expected)).toEqual({ year, n });
  });

  it.each([
    [2026, 0],
    [2026, -3],
    [2026, 1.5],
    [26, 1],
    [20260, 1],
  ])('refuses year %p and number %p', (year, n) => {
    expect(() => formatReference(year, n)).toThrow(RangeError);
  });

  it('parses typed references leniently and refuses others', () => {
    expect(parseReference('  dma-2026-00042 ')).toEqual({ year: 2026, n: 42 });
    for (const bad of ['DMA-2026-42', 'DMA-26-00042', 'DMA 2026 00042', 'XDMA-2026-00042', 'DMA-2026-00000', '']) expect(parseReference(bad)).toBeUndefined();
  });

  it('finds a reference inside a sentence', () => {
    expect(findReference('Où en est ma demande DMA-2026-00042?')).toEqual({ year: 2026, n: 42 });
    expect(findReference('Où en est ma demande?')).toBeUndefined();
  });

  it('round-trips any year and number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 10_000_000 }), (year, n) => {
        expect(parseReference(formatReference(year, n))).toEqual({ year, n });
      }),
    );
  });
});

describe('secret detector', () => {
  it.each([
    'ihv2T7sD',
    'Voici le code reçu : ihv2T7sD',
    'AbCd1234',
    'mon mot de passe est Soleil2024',
    'Mon mot de passe : hunter22',
    'mot de passe: B0njour',
    'Le mot de passe de la RAMQ est qc2024xyz',
    'mon mdp c’est patate99',
    'mdp = Patate99',
    'my password is Tr0ub4dor',
    'My password is abc12345, can you check it?',
    'Password: p@ssword',
    'code secret : XXXX',
    'Code secret: 8F3KQ2',
    'le code secret est k9qmt2',
    'The secret code is « 7HJK2M »',
    'Bonjour,\nmon mot de passe est\nSoleil2024',
  ])('flags %p', (text) => {
    expect(looksLikeSecret(text)).toBe(true);
  });

  it.each([
    '',
    "J'ai oublié mon mot de passe",
    'Mon mot de passe est expiré, que faire?',
    'Mon mot de passe est bloqué depuis ce matin',
    'Mon mot de passe est EXPIRÉ',
    "mon mot de passe est l'ancien",
    'Quelles sont les règles pour le mot de passe?',
    'Le mot de passe doit compter au moins 8 caractères',
    'mot de passe : au moins 8 caractères',
    'Le mot de passe est-il sensible à la casse?',
    "Je n'ai pas reçu mon code secret",
    "J'ai le code secret mais il est expiré",
    'Mon mot de passe est arrivé par courriel?',
    'Le code secret est valide 5 jours calendrier',
    'The secret code is valid for 5 calendar days.',
    'My password is expired',
    'my password is not working',
    'What are the password rules?',
    'Mon courriel est Marie.Tremblay2@ciusss.gouv.qc.ca',
    "Mon code d'utilisateur RAMQ est jcote@exemple.ca",
    "Mon numéro d'employé est 123456",
    "Mon code d'employé est AB1234",
    'Où en est ma demande DMA-2026-00042?',
    'Appelez-moi au 418-821-1743 ou au (418) 643-8210, poste 2',
    'Bonjour, je veux accéder au registre des DMA pour Marie-Ève O’Neil.',
    'I need access to the DMA registry for a nurse on my team.',
    'On m’a dit d’appeler entre 8h30 et 12h, le mercredi 10h.',
    'Le formulaire B2B 4058 et SELAT 4135 sont-ils visés?',
    'Voir https://www.ramq.gouv.qc.ca/fr/professionnels?Ab1=Cd2',
    'Je travaille au CIUSSSCN, GMF-U de Charlesbourg, code postal G1K 7T3.',
  ])('does not flag %p', (text) => {
    expect(looksLikeSecret(text)).toBe(false);
  });
});
