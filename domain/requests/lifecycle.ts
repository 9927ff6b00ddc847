import { DateTime } from 'luxon';
import { isBusinessDay } from '../hours';
import type { RequestKind, RequestStatus } from '../intake/kinds';

/** Time zone of the CIUSSS and of RAMQ: calendar days and business hours are counted there. */
export const LOCAL_ZONE = 'America/Toronto';

/** A RAMQ secret code is valid this many calendar days. */
export const CODE_VALIDITY_DAYS = 5;

/** What an access manager can do from the card. */
export const MANAGER_ACTIONS = ['claim', 'codeSent', 'complete', 'reject'] as const;
export type ManagerAction = (typeof MANAGER_ACTIONS)[number];

/** Card verbs of the access managers, and the action each one means. */
export const MANAGER_VERBS = {
  'request.claim': 'claim',
  'request.codeSent': 'codeSent',
  'request.complete': 'complete',
  'request.reject': 'reject',
} as const satisfies Record<string, ManagerAction>;
export type ManagerVerb = keyof typeof MANAGER_VERBS;

/** The requester's verb: « J'ai terminé mon inscription ». */
export const REGISTRATION_DONE_VERB = 'request.registrationDone';

/** Statuses after which nothing more happens. */
export const CLOSED_STATUSES: readonly RequestStatus[] = ['completed', 'rejected', 'cancelled'];
/** Statuses the managers' queue shows, in lifecycle order. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['submitted', 'in_progress', 'code_sent', 'expired'];

/** Longest rejection reason kept (it is shown on the card and sent to the requester). */
export const MAX_REASON_LENGTH = 500;

export function isManagerVerb(verb: string): verb is ManagerVerb {
  return Object.prototype.hasOwnProperty.call(MANAGER_VERBS, verb);
}

export function isClosed(status: string): boolean {
  return (CLOSED_STATUSES as readonly string[]).includes(status);
}

/** The part of a request the lifecycle rules look at. */
export interface LifecycleState {
  kind: RequestKind | string;
  status: RequestStatus | string;
  assigneeId: string | null;
}

/**
 * The actions offered for a request in its current status (the card's buttons).
 * - `submitted`: take it, or reject it.
 * - `in_progress`: with a RAMQ code or a withdrawal → complete; without a code → code sent; or reject.
 * - `code_sent`: complete (the person registered), a new code, or reject.
 * - `expired`: a new code, or reject.
 */
export function availableActions(state: Pick<LifecycleState, 'kind' | 'status'>): ManagerAction[] {
  switch (state.status) {
    case 'submitted':
      return ['claim', 'reject'];
    case 'in_progress':
      return state.kind === 'access_without_code' ? ['codeSent', 'reject'] : ['complete', 'reject'];
    case 'code_sent':
      return ['complete', 'codeSent', 'reject'];
    case 'expired':
      return ['codeSent', 'reject'];
    default:
      return [];
  }
}

/** Why an action is refused. */
export type RefusalReason =
  /** The request is completed, rejected or cancelled. */
  | 'closed'
  /** Another access manager has it. */
  | 'taken'
  /** The actor already has it (a second « Prendre en charge »). */
  | 'already_yours'
  /** The action makes no sense in this status or for this kind (e.g. « code transmis » for a request with a code). */
  | 'not_allowed'
  /** A rejection needs a reason. */
  | 'reason_required';

export type Decision = { ok: true; to: RequestStatus } | { ok: false; reason: RefusalReason };

/**
 * Decides whether `actorId` may take `action` on a request, and the status it leads to.
 * @remarks Once a request is taken, only its assignee acts on it (codes, completion, rejection); a request
 * not yet taken may be rejected directly by any access manager.
 */
export function decide(action: ManagerAction, state: LifecycleState, actorId: string, input: { reason?: string } = {}): Decision {
  if (isClosed(state.status)) return { ok: false, reason: 'closed' };
  if (action === 'claim') {
    if (state.status === 'submitted') return { ok: true, to: 'in_progress' };
    if (state.assigneeId === actorId) return { ok: false, reason: 'already_yours' };
    return { ok: false, reason: state.assigneeId ? 'taken' : 'not_allowed' };
  }
  if (!availableActions(state).includes(action)) {
    return { ok: false, reason: state.assigneeId && state.assigneeId !== actorId ? 'taken' : 'not_allowed' };
  }
  if (state.assigneeId && state.assigneeId !== actorId) return { ok: false, reason: 'taken' };
  switch (action) {
    case 'codeSent':
      return { ok: true, to: 'code_sent' };
    case 'complete':
      return { ok: true, to: 'completed' };
    case 'reject':
      return normalizeReason(input.reason) ? { ok: true, to: 'rejected' } : { ok: false, reason: 'reason_required' };
  }
}

/** A rejection reason trimmed and bounded, or undefined when empty. */
export function normalizeReason(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  const trimmed = reason.replace(/\s+/g, ' ').trim();
  return trimmed ? trimmed.slice(0, MAX_REASON_LENGTH) : undefined;
}

/** When a secret code transmitted at `sentAt` expires: 5 calendar days later, same local time (America/Toronto). */
export function codeExpiry(sentAt: Date): Date {
  return DateTime.fromJSDate(sentAt).setZone(LOCAL_ZONE).plus({ days: CODE_VALIDITY_DAYS }).toJSDate();
}

/** When the code expiring at `expiresAt` was transmitted (the inverse of {@link codeExpiry}). */
export function codeSentAt(expiresAt: Date): Date {
  return DateTime.fromJSDate(expiresAt).setZone(LOCAL_ZONE).minus({ days: CODE_VALIDITY_DAYS }).toJSDate();
}

/** Reminders before a code expires: on which days after the code was sent, and within which local hours. */
export interface ReminderPolicy {
  /** Days after the day the code was sent (1–4), e.g. [3, 4]. */
  days: readonly number[];
  /** Business hours, minutes after local midnight: reminders only go out within [from, to). */
  hours: { from: number; to: number };
}

export const DEFAULT_REMINDER_POLICY: ReminderPolicy = { days: [3, 4], hours: { from: 8 * 60 + 30, to: 16 * 60 + 30 } };

function windowStart(day: DateTime, policy: ReminderPolicy): DateTime {
  return day.startOf('day').plus({ minutes: policy.hours.from });
}

/** Whether `at` is a business day (Mon–Fri, not a Québec statutory holiday) within the reminder hours. */
export function withinReminderHours(at: Date, policy: ReminderPolicy): boolean {
  if (!isBusinessDay(at)) return false;
  const local = DateTime.fromJSDate(at).setZone(LOCAL_ZONE);
  const minutes = local.hour * 60 + local.minute;
  return minutes >= policy.hours.from && minutes < policy.hours.to;
}

/** The next instant at or after `at` that is within the reminder hours of a business day. */
export function nextReminderWindow(at: Date, policy: ReminderPolicy): Date {
  if (withinReminderHours(at, policy)) return at;
  let day = DateTime.fromJSDate(at).setZone(LOCAL_ZONE).startOf('day');
  for (let i = 0; i < 30; i++, day = day.plus({ days: 1 })) {
    const start = windowStart(day, policy);
    if (isBusinessDay(start.toJSDate()) && start.toMillis() > at.getTime()) return start.toJSDate();
  }
  throw new Error('no business day within 30 days');
}

/**
 * The instants of the reminders for a code sent at `sentAt`, in order, without duplicates, all before expiry.
 * @remarks Reminder day N starts at the opening of the reminder hours on the N-th local day after sending.
 * A day that is not a business day moves to the next business day; if that is too late (at or after
 * expiry) it moves back to the latest business day before, but never to the sending day. Two reminders that
 * land on the same instant are one.
 */
export function reminderSchedule(sentAt: Date, policy: ReminderPolicy = DEFAULT_REMINDER_POLICY): Date[] {
  const expiresAt = codeExpiry(sentAt).getTime();
  const sentDay = DateTime.fromJSDate(sentAt).setZone(LOCAL_ZONE).startOf('day');
  const out = new Set<number>();
  for (const n of policy.days) {
    const target = sentDay.plus({ days: n });
    let chosen: DateTime | undefined;
    for (let d = target; d.toMillis() < expiresAt; d = d.plus({ days: 1 })) {
      const start = windowStart(d, policy);
      if (isBusinessDay(start.toJSDate())) {
        if (start.toMillis() < expiresAt) chosen = start;
        break;
      }
    }
    if (!chosen) {
      for (let d = target.minus({ days: 1 }); d > sentDay; d = d.minus({ days: 1 })) {
        const start = windowStart(d, policy);
        if (isBusinessDay(start.toJSDate()) && start.toMillis() < expiresAt) {
          chosen = start;
          break;
        }
      }
    }
    if (chosen) out.add(chosen.toMillis());
  }
  return [...out].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** What the deadline sweep does next for a request whose code was sent. */
export type DueStep = { kind: 'reminder' | 'expiry'; at: Date };

/**
 * The next deadline strictly after `after`: the next reminder of the schedule on a later local day than
 * `after` (never two reminders the same day), else the expiry.
 */
export function nextDeadline(sentAt: Date, after: Date, policy: ReminderPolicy = DEFAULT_REMINDER_POLICY): DueStep {
  const afterDay = DateTime.fromJSDate(after).setZone(LOCAL_ZONE).toISODate();
  const reminder = reminderSchedule(sentAt, policy).find(
    (r) => r.getTime() > after.getTime() && DateTime.fromJSDate(r).setZone(LOCAL_ZONE).toISODate() !== afterDay,
  );
  return reminder ? { kind: 'reminder', at: reminder } : { kind: 'expiry', at: codeExpiry(sentAt) };
}

/** The first deadline of a code just sent. */
export function firstDeadline(sentAt: Date, policy: ReminderPolicy = DEFAULT_REMINDER_POLICY): DueStep {
  const reminder = reminderSchedule(sentAt, policy)[0];
  return reminder ? { kind: 'reminder', at: reminder } : { kind: 'expiry', at: codeExpiry(sentAt) };
}

/** What the sweep should do for a `code_sent` request at `now`, once its due time has come. */
export type SweepStep =
  | { kind: 'expire' }
  | { kind: 'remind'; next: Date }
  /** Too late in the day, a weekend or a holiday: try again at the next business hours (or expire then). */
  | { kind: 'postpone'; next: Date }
  /** Nothing to do any more (e.g. the requester finished the registration). */
  | { kind: 'clear' };

/** Decides the sweep's step for a code sent at `sentAt`, at `now`. */
export function sweepStep(now: Date, sentAt: Date, registrationDone: boolean, policy: ReminderPolicy = DEFAULT_REMINDER_POLICY): SweepStep {
  const expiresAt = codeExpiry(sentAt);
  if (now.getTime() >= expiresAt.getTime()) return registrationDone ? { kind: 'clear' } : { kind: 'expire' };
  if (registrationDone) return { kind: 'clear' };
  if (!withinReminderHours(now, policy)) {
    const window = nextReminderWindow(now, policy);
    return { kind: 'postpone', next: window.getTime() < expiresAt.getTime() ? window : expiresAt };
  }
  return { kind: 'remind', next: nextDeadline(sentAt, now, policy).at };
}
