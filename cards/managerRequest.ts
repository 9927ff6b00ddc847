import { DateTime } from 'luxon';
import type { Lang, Translate } from '../domain/i18n';
import type { RequestKind, RequestStatus } from '../domain/intake/kinds';
import { availableActions, isClosed } from '../domain/requests/lifecycle';
import { renderCard, type AdaptiveCardJson } from './render';

/** Time zone in which the managers' cards show dates. */
export const MANAGER_DISPLAY_ZONE = 'America/Toronto';

/** Most history lines on a card (the latest ones). */
export const MAX_EVENTS_SHOWN = 12;

/** The options luxon's `DateTime.DATETIME_MED` gives Intl, in the managers' time zone. */
const DATETIME_MED_OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: 'numeric', timeZone: MANAGER_DISPLAY_ZONE };

/** One formatter per language, built on first use (building one costs ~50× formatting a date). */
const dateTimeFormats = new Map<Lang, Intl.DateTimeFormat>();

function dateTimeFormat(lang: Lang): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(lang);
  if (!format) {
    format = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-CA' : 'en-CA', DATETIME_MED_OPTIONS);
    dateTimeFormats.set(lang, format);
  }
  return format;
}

/** An ISO date-time with an explicit offset (what the database and JSON give): `2026-03-02T14:05[:00[.000]]Z` or `…+05:00`. */
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** The instant of an ISO string with an offset, or undefined when it is not one (or not a real date and time): luxon decides those. */
function isoInstant(value: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, millis] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0', (m[7] ?? '').padEnd(3, '0')].map(Number) as number[];
  if (year! < 1000) return undefined;
  const local = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis!);
  const check = new Date(local);
  // Overflowing fields (30 February, 24:00, a leap second) would roll over here; luxon calls them invalid.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day || check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second) {
    return undefined;
  }
  if (m[8]) return local;
  const offsetMinutes = Number(m[10]) * 60 + Number(m[11]);
  if (Number(m[11]) > 59) return undefined;
  return local - (m[9] === '-' ? -offsetMinutes : offsetMinutes) * 60_000;
}

/**
 * A date and time in the reader's language, local time (« 3 mars 2026 10 h 05 », « Mar 3, 2026, 10:05 AM »).
 * @remarks What luxon's `setZone(MANAGER_DISPLAY_ZONE).setLocale(…).toLocaleString(DATETIME_MED)` gives (it formats
 * with the same Intl options), with one cached formatter per language instead of three luxon objects and an offset
 * computation per date. Strings other than an ISO date-time with an offset still go through luxon's ISO parser.
 */
export function formatDateTime(value: Date | string, lang: Lang): string {
  let instant: number;
  if (value instanceof Date) {
    instant = value.getTime();
  } else {
    const parsed = isoInstant(value);
    if (parsed === undefined) return formatDateTimeWithLuxon(value, lang);
    instant = parsed;
  }
  if (Number.isNaN(instant)) return '—';
  return dateTimeFormat(lang).format(instant);
}

/** The reference implementation (luxon), kept for the strings the fast path leaves to it and for the equivalence test. */
export function formatDateTimeWithLuxon(value: Date | string, lang: Lang): string {
  const date = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
  if (!date.isValid) return '—';
  return date.setZone(MANAGER_DISPLAY_ZONE).setLocale(lang === 'fr' ? 'fr-CA' : 'en-CA').toLocaleString(DateTime.DATETIME_MED);
}

/** How long ago, in whole minutes, hours or days (« 5 min », « 3 h », « 2 jours »). */
export function formatAge(since: Date | string, now: Date, t: Translate): string {
  const ms = Math.max(0, now.getTime() - new Date(since).getTime());
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return t('managers:queue.age.minutes', { count: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('managers:queue.age.hours', { count: hours });
  return t('managers:queue.age.days', { count: Math.floor(hours / 24) });
}

/** Status colours readable on Teams' light theme (its Good green and Warning yellow fail WCAG AA as text). */
export const STATUS_COLORS: Record<RequestStatus, 'Default' | 'Attention' | 'Accent'> = {
  submitted: 'Accent',
  in_progress: 'Default',
  code_sent: 'Accent',
  completed: 'Default',
  rejected: 'Attention',
  cancelled: 'Default',
  expired: 'Attention',
};

/** One line of a request's history, as stored. */
export interface ManagerCardEvent {
  action: string;
  actorId: string;
  actorName: string | null;
  reason: string | null;
  at: Date | string;
}

/** What the managers' card shows of a request (a stored request fits as is). */
export interface ManagerCardRequest {
  id: number | string;
  reference: string;
  kind: RequestKind | string;
  status: RequestStatus | string;
  requesterRole: string;
  requesterName: string | null;
  lastName: string | null;
  firstName: string | null;
  practiceLocation: string | null;
  email: string | null;
  ramqUserCode: string | null;
  employeeNumber: string | null;
  jobTitle: string | null;
  supervisorAuthorized: boolean | null;
  assigneeName: string | null;
  assigneeId: string | null;
  codeExpiresAt: Date | string | null;
  remindersSent: number;
  registrationDoneAt: Date | string | null;
  requesterUnreachable: boolean;
  createdAt: Date | string;
}

/** The fields an access manager needs to do the RAMQ step, per kind (nothing more). */
const FIELDS_BY_KIND: Record<string, (keyof ManagerCardRequest)[]> = {
  access_with_code: ['lastName', 'firstName', 'ramqUserCode', 'practiceLocation', 'email'],
  access_without_code: ['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'practiceLocation', 'email'],
  withdrawal: ['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'email'],
};

/** The action label that depends on the kind: what « done » means for it. */
function completeLabel(t: Translate, kind: string): string {
  return t(`managers:actions.complete.${kind in FIELDS_BY_KIND ? kind : 'access_with_code'}`);
}

function eventLabel(t: Translate, event: ManagerCardEvent, kind: string): string {
  if (event.action === 'completed' && kind === 'withdrawal') return t('managers:events.completed_withdrawal');
  if (event.action === 'rejected') return t('managers:events.rejected', { reason: event.reason ?? '—' });
  const key = `managers:events.${event.action}`;
  const label = t(key);
  return label === key || label === `events.${event.action}` ? event.action : label;
}

function nextStep(t: Translate, r: ManagerCardRequest): string {
  switch (r.status) {
    case 'submitted':
      return t('managers:card.nextStep.submitted');
    case 'in_progress':
      return t(`managers:card.nextStep.in_progress.${r.kind in FIELDS_BY_KIND ? r.kind : 'access_with_code'}`);
    case 'code_sent':
      return r.registrationDoneAt ? '' : t('managers:card.nextStep.code_sent');
    case 'expired':
      return t('managers:card.nextStep.expired');
    default:
      return '';
  }
}

/**
 * The access managers' card of one request: current status, who has it, what to do next, the fields the
 * RAMQ step needs (hidden once the request is closed), the history (who did what and when) and the
 * actions allowed in the current status (verbs `request.claim`, `request.codeSent`, `request.complete`,
 * `request.reject` with the input `reason`).
 */
export function managerRequestCard(t: Translate, lang: Lang, request: ManagerCardRequest, events: readonly ManagerCardEvent[]): AdaptiveCardJson {
  const status = request.status as RequestStatus;
  const closed = isClosed(status);
  const actions = availableActions({ kind: request.kind, status });
  const facts: { label: string; value: string }[] = [];
  if (!closed) {
    for (const field of FIELDS_BY_KIND[request.kind] ?? []) {
      const value = request[field];
      if (typeof value === 'string' && value.trim()) facts.push({ label: t(`intake:fields.${field}`), value });
    }
    const role = t(`managers:card.roles.${request.requesterRole}`);
    facts.push({ label: t('managers:card.requester'), value: request.requesterName ? `${request.requesterName} (${role})` : role });
    if (request.supervisorAuthorized) facts.push({ label: t('managers:card.authorization'), value: t('managers:card.authorizationGiven') });
  }
  const notes: { text: string }[] = [];
  if (request.codeExpiresAt && (status === 'code_sent' || status === 'expired')) {
    notes.push({ text: t('managers:card.codeExpires', { date: formatDateTime(request.codeExpiresAt, lang) }) });
    if (request.remindersSent > 0) notes.push({ text: t('managers:card.reminders', { count: request.remindersSent }) });
  }
  if (request.registrationDoneAt && status === 'code_sent') {
    notes.push({ text: t('managers:card.registrationDone', { date: formatDateTime(request.registrationDoneAt, lang) }) });
  }
  const shownEvents = events.slice(-MAX_EVENTS_SHOWN);
  return renderCard('managerRequest', {
    cardId: `request-${request.id}`,
    requestId: String(request.id),
    title: t('managers:card.title', { reference: request.reference }),
    kindLabel: t(`intake:kinds.${request.kind}`),
    filedLine: t('managers:card.filed', { date: formatDateTime(request.createdAt, lang) }),
    statusLine: t('managers:card.status', { status: t(`intake:statuses.${status}`) }),
    statusColor: STATUS_COLORS[status] ?? 'Default',
    assigneeLine: request.assigneeName || request.assigneeId ? t('managers:card.assignee', { name: request.assigneeName ?? request.assigneeId }) : '',
    alert: request.requesterUnreachable && !closed ? t('managers:card.unreachable') : '',
    nextStep: nextStep(t, request),
    notes,
    hasFacts: facts.length > 0,
    facts,
    closedNote: closed ? t('managers:card.closedFields') : '',
    historyTitle: t('managers:card.history'),
    events: shownEvents.map((e) => ({
      line: t('managers:card.eventLine', {
        date: formatDateTime(e.at, lang),
        what: eventLabel(t, e, String(request.kind)),
        who: e.actorId === 'system' ? t('managers:card.system') : e.actorName ?? e.actorId,
      }),
    })),
    canClaim: actions.includes('claim'),
    canCodeSent: actions.includes('codeSent'),
    canComplete: actions.includes('complete'),
    canReject: actions.includes('reject'),
    labels: {
      claim: t('managers:actions.claim'),
      codeSent: status === 'in_progress' ? t('managers:actions.codeSent') : t('managers:actions.newCode'),
      complete: completeLabel(t, String(request.kind)),
      reject: t('managers:actions.reject'),
      rejectConfirm: t('managers:actions.rejectConfirm'),
      reason: t('managers:actions.reasonLabel'),
      reasonPlaceholder: t('managers:actions.reasonPlaceholder'),
      reasonRequired: t('managers:actions.reasonRequired'),
    },
  });
}

/** A sample request in a given state (fictitious people). */
export function sampleRequest(overrides: Partial<ManagerCardRequest> = {}): ManagerCardRequest {
  return {
    id: 42,
    reference: 'DMA-2026-00042',
    kind: 'access_without_code',
    status: 'submitted',
    requesterRole: 'manager',
    requesterName: 'Chantal Bouchard',
    lastName: 'Tremblay',
    firstName: 'Marie-Ève',
    practiceLocation: 'CLSC de Limoilou',
    email: 'marie-eve.tremblay@example.org',
    ramqUserCode: null,
    employeeNumber: '123456',
    jobTitle: 'Infirmière clinicienne',
    supervisorAuthorized: true,
    assigneeName: null,
    assigneeId: null,
    codeExpiresAt: null,
    remindersSent: 0,
    registrationDoneAt: null,
    requesterUnreachable: false,
    createdAt: '2026-03-02T14:05:00Z',
    ...overrides,
  };
}

/** Example cards: new, taken, code sent (reminded, registration done), expired, rejected, and a withdrawal completed. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang: Lang = t('managers:meta.lang') === 'en' ? 'en' : 'fr';
  const filed: ManagerCardEvent = { action: 'filed', actorId: '29:req', actorName: 'Chantal Bouchard', reason: null, at: '2026-03-02T14:05:00Z' };
  const claimed: ManagerCardEvent = { action: 'claimed', actorId: '29:mgr', actorName: 'Luc Gagnon', reason: null, at: '2026-03-02T15:10:00Z' };
  const codeSent: ManagerCardEvent = { action: 'code_sent', actorId: '29:mgr', actorName: 'Luc Gagnon', reason: null, at: '2026-03-02T16:00:00Z' };
  const taken = { assigneeId: '29:mgr', assigneeName: 'Luc Gagnon' };
  return [
    managerRequestCard(t, lang, sampleRequest(), [filed]),
    managerRequestCard(t, lang, sampleRequest({ status: 'in_progress', ...taken }), [filed, claimed]),
    managerRequestCard(
      t,
      lang,
      sampleRequest({ status: 'code_sent', ...taken, codeExpiresAt: '2026-03-07T16:00:00Z', remindersSent: 1, registrationDoneAt: '2026-03-05T18:00:00Z' }),
      [filed, claimed, codeSent, { action: 'reminder_sent', actorId: 'system', actorName: null, reason: null, at: '2026-03-05T13:30:00Z' }, { action: 'registration_done', actorId: '29:req', actorName: 'Chantal Bouchard', reason: null, at: '2026-03-05T18:00:00Z' }],
    ),
    managerRequestCard(t, lang, sampleRequest({ status: 'expired', ...taken, codeExpiresAt: '2026-03-07T16:00:00Z', remindersSent: 2, requesterUnreachable: true }), [
      filed,
      claimed,
      codeSent,
      { action: 'expired', actorId: 'system', actorName: null, reason: null, at: '2026-03-07T16:00:30Z' },
    ]),
    managerRequestCard(t, lang, sampleRequest({ kind: 'access_with_code', status: 'rejected', ...taken, ramqUserCode: 'mtremblay01', employeeNumber: null, jobTitle: null }), [
      filed,
      { action: 'rejected', actorId: '29:mgr', actorName: 'Luc Gagnon', reason: 'Autorisation du supérieur immédiat manquante', at: '2026-03-02T15:10:00Z' },
    ]),
    managerRequestCard(t, lang, sampleRequest({ kind: 'withdrawal', requesterRole: 'supervisor', status: 'completed', ...taken, practiceLocation: null }), [
      filed,
      claimed,
      { action: 'completed', actorId: '29:mgr', actorName: 'Luc Gagnon', reason: null, at: '2026-03-03T13:00:00Z' },
    ]),
  ];
}
