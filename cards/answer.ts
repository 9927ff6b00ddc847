import { DateTime } from 'luxon';
import type { Lang, Translate } from '../domain/i18n';
import { resolveLang } from '../domain/i18n';
import { RAMQ_WEDNESDAY_HOURS, RAMQ_WEEKDAY_HOURS, RAMQ_ZONE, ramqLinesStatus, type OpeningInterval } from '../domain/hours';
import { KNOWLEDGE, PHONES, knowledgeValues, type FollowUpVerb, type PhoneId } from '../domain/knowledge';
import { INFO_ROUTES, type InfoRouteId, type RouteId } from '../domain/routing/routes';
import { helpCard } from './help';
import { renderCard, type AdaptiveCardJson } from './render';

/** What a generic answer card shows. All strings are already translated. */
export interface AnswerContent {
  title: string;
  /** A bold line under the title (e.g. "open now"); red (Attention) when not good. Teams' light-theme green is too pale to read. */
  status?: { text: string; good: boolean };
  paragraphs: string[];
  stepsTitle?: string;
  /** Rendered as a numbered list. */
  steps?: string[];
  note?: string;
  phones?: PhoneId[];
  followUps?: FollowUpVerb[];
}

/** Data the answer template expects. */
export interface AnswerCardData {
  cardId: string;
  title: string;
  hasStatus: boolean;
  status: string;
  statusColor: 'Default' | 'Attention';
  paragraphs: { text: string }[];
  hasSteps: boolean;
  stepsTitle: string;
  steps: { label: string; text: string }[];
  hasNote: boolean;
  note: string;
  phones: { title: string; url: string }[];
  followUps: { verb: FollowUpVerb; title: string }[];
}

/** Builds a generic answer card: title, paragraphs, numbered steps, `tel:` buttons and follow-up buttons. */
export function answerCard(content: AnswerContent, t: Translate, cardId: string): AdaptiveCardJson {
  const steps = content.steps ?? [];
  const data: AnswerCardData = {
    cardId,
    title: content.title,
    hasStatus: content.status !== undefined,
    status: content.status?.text ?? '',
    statusColor: content.status?.good ? 'Default' : 'Attention',
    paragraphs: content.paragraphs.map((text) => ({ text })),
    hasSteps: steps.length > 0,
    stepsTitle: content.stepsTitle ?? '',
    steps: steps.map((text, i) => ({ label: `${i + 1}.`, text })),
    hasNote: Boolean(content.note),
    note: content.note ?? '',
    phones: (content.phones ?? []).map((id) => ({ title: t(`knowledge:phones.${id}`, { number: PHONES[id].display }), url: PHONES[id].telUrl })),
    followUps: (content.followUps ?? []).map((verb) => ({ verb, title: t(verb) })),
  };
  return renderCard('answer', data);
}

/** Options of {@link knowledgeAnswerCard}. */
export interface KnowledgeAnswerOptions {
  /** For `unknown`: the previous message was not understood either, so propose an agent first. */
  repeatedUnknown?: boolean;
}

const FLOW_ROUTES: Record<'access.request' | 'access.withdraw' | 'request.status' | 'agent', { section: string; verb: FollowUpVerb }> = {
  'access.request': { section: 'access', verb: 'menu.access' },
  'access.withdraw': { section: 'withdraw', verb: 'menu.withdraw' },
  'request.status': { section: 'status', verb: 'menu.status' },
  agent: { section: 'agent', verb: 'menu.agent' },
};

/**
 * Builds the card answering a route in the user's language, `now` deciding the "open right now" line of `info.hours`.
 * @remarks Information routes answer with their facts; `help` is the help card; `unknown` says what the bot can do and
 * offers the menu and an agent; flow routes (access, withdrawal, status, agent) get a card with the button starting the flow.
 */
export function knowledgeAnswerCard(route: RouteId, t: Translate, lang: Lang, now: Date, cardId: string, options: KnowledgeAnswerOptions = {}): AdaptiveCardJson {
  if (route === 'help') return helpCard(t, cardId);
  if (route === 'unknown') return answerCard(unknownContent(t, options.repeatedUnknown ?? false), t, cardId);
  if (route in FLOW_ROUTES) {
    const flow = FLOW_ROUTES[route as keyof typeof FLOW_ROUTES];
    return answerCard(
      { title: t(`knowledge:flows.${flow.section}.title`), paragraphs: [t(`knowledge:flows.${flow.section}.text`)], followUps: [flow.verb, 'menu.help'] },
      t,
      cardId,
    );
  }
  return answerCard(infoContent(route as InfoRouteId, t, lang, now), t, cardId);
}

function infoContent(route: InfoRouteId, t: Translate, lang: Lang, now: Date): AnswerContent {
  const entry = KNOWLEDGE[route];
  const values = { ...knowledgeValues(lang), ...(route === 'info.hours' ? scheduleValues(t, lang) : {}) };
  const text = (key: string): string => t(`knowledge:${entry.section}.${key}`, values);
  return {
    title: text('title'),
    status: route === 'info.hours' ? hoursStatus(t, lang, now) : undefined,
    paragraphs: entry.paragraphs.map(text),
    stepsTitle: entry.steps.length > 0 ? text('stepsTitle') : undefined,
    steps: entry.steps.map(text),
    note: entry.note ? text(entry.note) : undefined,
    phones: [...entry.phones],
    followUps: [...entry.followUps],
  };
}

function unknownContent(t: Translate, repeated: boolean): AnswerContent {
  if (repeated) {
    return { title: t('knowledge:unknown.repeatedTitle'), paragraphs: [t('knowledge:unknown.repeatedText')], followUps: ['menu.agent', 'menu.help'] };
  }
  return {
    title: t('knowledge:unknown.title'),
    paragraphs: [t('knowledge:unknown.text')],
    followUps: ['menu.access', 'menu.withdraw', 'menu.status', 'menu.help', 'menu.agent'],
  };
}

/** Formats a local time the way each language writes it: `8 h 30`, `13 h` / `8:30 a.m.`. */
export function formatLocalTime(time: DateTime, lang: Lang): string {
  if (lang === 'fr') return time.minute === 0 ? `${time.hour} h` : `${time.hour} h ${time.toFormat('mm')}`;
  return time.setLocale('en-CA').toLocaleString(DateTime.TIME_SIMPLE);
}

function intervalText(interval: OpeningInterval, t: Translate, lang: Lang): string {
  const time = (minutes: number): string => formatLocalTime(DateTime.fromObject({ hour: Math.floor(minutes / 60), minute: minutes % 60 }, { zone: RAMQ_ZONE }), lang);
  return t('knowledge:hours.interval', { from: time(interval.from), to: time(interval.to) });
}

function scheduleValues(t: Translate, lang: Lang): Record<string, string> {
  const join = (intervals: readonly OpeningInterval[]): string => intervals.map((i) => intervalText(i, t, lang)).join(t('knowledge:hours.and'));
  return { weekday: join(RAMQ_WEEKDAY_HOURS), wednesday: join(RAMQ_WEDNESDAY_HOURS) };
}

/** Describes an instant relative to `now`, in Québec time: "aujourd'hui à 13 h", "demain à 8 h 30", "le lundi 23 juin à 8 h 30". */
export function describeMoment(moment: Date, now: Date, t: Translate, lang: Lang): string {
  const at = DateTime.fromJSDate(moment).setZone(RAMQ_ZONE);
  const days = at.startOf('day').diff(DateTime.fromJSDate(now).setZone(RAMQ_ZONE).startOf('day'), 'days').days;
  const time = formatLocalTime(at, lang);
  if (Math.round(days) === 0) return t('knowledge:hours.today', { time });
  if (Math.round(days) === 1) return t('knowledge:hours.tomorrow', { time });
  const date = lang === 'fr' ? at.setLocale('fr-CA').toFormat('cccc d LLLL') : at.setLocale('en-CA').toFormat('cccc, LLLL d');
  return t('knowledge:hours.onDate', { date, time });
}

function hoursStatus(t: Translate, lang: Lang, now: Date): { text: string; good: boolean } {
  const status = ramqLinesStatus(now);
  if (status.open && status.closesAt) {
    return { text: t('knowledge:hours.openNow', { closesAt: formatLocalTime(DateTime.fromJSDate(status.closesAt).setZone(RAMQ_ZONE), lang) }), good: true };
  }
  if (status.nextOpening) return { text: t('knowledge:hours.closedNow', { nextOpening: describeMoment(status.nextOpening, now, t, lang) }), good: false };
  return { text: t('knowledge:hours.closedNoDate'), good: false };
}

/** Example cards (every information route, help, unknown twice, one flow) for the card validation test. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang = resolveLang(t('knowledge:meta.locale'));
  const wednesdayMorning = new Date('2025-06-25T13:30:00Z'); // Wednesday 9:30 in Québec: closed until 10:00
  const tuesdayMorning = new Date('2025-06-17T14:00:00Z'); // Tuesday 10:00 in Québec: open
  const routes: RouteId[] = [...INFO_ROUTES, 'help', 'unknown', 'access.request'];
  return [
    ...routes.map((route) => knowledgeAnswerCard(route, t, lang, wednesdayMorning, `sample-${route}`)),
    knowledgeAnswerCard('info.hours', t, lang, tuesdayMorning, 'sample-info.hours-open'),
    knowledgeAnswerCard('unknown', t, lang, wednesdayMorning, 'sample-unknown-repeated', { repeatedUnknown: true }),
  ];
}
