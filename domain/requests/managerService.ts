import type { TxClient } from '../../data/tx';
import type { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { RequestRepository, StaleRequestError, type NewEvent, type RequestRecord } from '../../data/requestRepository';
import type { RequestStatus } from '../intake/kinds';
import {
  DEFAULT_REMINDER_POLICY,
  OPEN_STATUSES,
  codeExpiry,
  codeSentAt,
  decide,
  firstDeadline,
  normalizeReason,
  sweepStep,
  type ManagerAction,
  type RefusalReason,
  type ReminderPolicy,
} from './lifecycle';
import type { Actor, Clock } from './requestService';

/** What the requester is told after a change. */
export type RequesterNotice = 'claimed' | 'code_sent' | 'new_code' | 'completed' | 'rejected' | 'expired' | 'reminder';

/** One change of a request, as the notifications see it. */
export interface RequestChange {
  /** The event recorded (`filed`, `claimed`, `code_sent`, `completed`, `rejected`, `expired`, `reminder_sent`, `registration_done`, `cancelled`). */
  action: string;
  /** Tell the requester, in their chat. */
  notice?: RequesterNotice;
  /** Refresh the managers' card (post it if it was never posted). */
  updateCard: boolean;
}

/**
 * Where changes are announced: {@link requestChanged} runs inside the change's transaction (it writes outbox
 * rows), {@link committed} after the commit (it asks for a prompt delivery).
 */
export interface RequestNotifications {
  requestChanged(tx: TxClient, request: RequestRecord, change: RequestChange): Promise<void>;
  committed(): void;
}

export type ManagerOutcome =
  | { ok: true; request: RequestRecord; action: ManagerAction }
  | { ok: false; reason: RefusalReason | 'not_found'; request?: RequestRecord };

export type RegistrationOutcome =
  | { ok: true; request: RequestRecord; already: boolean }
  | { ok: false; reason: 'not_found' | 'not_yours' | 'not_allowed'; request?: RequestRecord };

/** The managers' queue: open requests oldest first, and how many are in each open status. */
export interface ManagerQueue {
  requests: RequestRecord[];
  counts: Record<string, number>;
  total: number;
}

/** What one sweep did. */
export interface SweepResult {
  reminded: number;
  expired: number;
  postponed: number;
  /** Due rows another instance handled first. */
  skipped: number;
}

/** The system, as the author of reminders and expiries in a request's history. */
export const SYSTEM_ACTOR = { userId: 'system', name: null } as const;

const EVENT_OF: Record<ManagerAction, string> = { claim: 'claimed', codeSent: 'code_sent', complete: 'completed', reject: 'rejected' };

/**
 * Use cases of the access managers: take a request, record the secret code, complete, reject; the
 * requester's « inscription terminée »; the deadline sweep (reminders, expiry); the queue.
 * @remarks Every write is versioned: of two managers acting at once, one wins and the other is told who
 * has the request. Each change writes its notifications (managers' card, requester's notice) in the same
 * transaction.
 */
export class ManagerService {
  constructor(
    private readonly requests: RequestRepository,
    private readonly queries: ManagerRequestRepository,
    private readonly notifications: RequestNotifications,
    private readonly clock: Clock = () => new Date(),
    private readonly policy: ReminderPolicy = DEFAULT_REMINDER_POLICY,
  ) {}

  /** A request and its history (for the card). */
  async detail(requestId: number): Promise<{ request: RequestRecord; events: Awaited<ReturnType<RequestRepository['events']>> } | null> {
    return this.requests.findWithEvents(requestId);
  }

  /** An access manager acts on a request from the card. */
  async act(actor: Actor, action: ManagerAction, requestId: number, input: { reason?: unknown } = {}): Promise<ManagerOutcome> {
    let request = await this.requests.findById(requestId);
    if (!request) return { ok: false, reason: 'not_found' };
    const reason = normalizeReason(input.reason);
    for (let attempt = 0; attempt < 3; attempt++) {
      const decision = decide(action, request, actor.userId, { reason });
      if (!decision.ok) return { ok: false, reason: decision.reason, request };
      const now = this.clock();
      const changes = this.changesFor(action, request, actor, now, reason);
      const notice = this.noticeFor(action, request);
      const event: NewEvent = {
        action: EVENT_OF[action],
        fromStatus: request.status,
        toStatus: decision.to,
        actorId: actor.userId,
        actorName: actor.name ?? null,
        reason: action === 'reject' ? reason : null,
      };
      try {
        const updated = await this.requests.update(request.id, request.version, { ...changes, status: decision.to }, event, now, (tx, r) =>
          this.notifications.requestChanged(tx, r, { action: event.action, notice, updateCard: true }),
        );
        this.notifications.committed();
        return { ok: true, request: updated, action };
      } catch (err) {
        if (!(err instanceof StaleRequestError) || !err.current) throw err;
        // Someone else changed it first: decide again on what is there now.
        request = err.current;
      }
    }
    return { ok: false, reason: 'taken', request };
  }

  /** The requester says the RAMQ registration is finished (reminders stop; the managers' card shows it). */
  async registrationDone(requester: Actor, requestId: number): Promise<RegistrationOutcome> {
    const request = await this.requests.findById(requestId);
    if (!request) return { ok: false, reason: 'not_found' };
    if (request.requesterUserId !== requester.userId) return { ok: false, reason: 'not_yours' };
    if (request.registrationDoneAt && request.status === 'code_sent') return { ok: true, request, already: true };
    if (request.status !== 'code_sent') return { ok: false, reason: 'not_allowed', request };
    const now = this.clock();
    try {
      const updated = await this.requests.update(
        request.id,
        request.version,
        { registrationDoneAt: now, nextDueAt: null },
        { action: 'registration_done', fromStatus: request.status, toStatus: request.status, actorId: requester.userId, actorName: requester.name ?? null },
        now,
        (tx, r) => this.notifications.requestChanged(tx, r, { action: 'registration_done', updateCard: true }),
      );
      this.notifications.committed();
      return { ok: true, request: updated, already: false };
    } catch (err) {
      if (err instanceof StaleRequestError) return this.registrationDone(requester, requestId);
      throw err;
    }
  }

  /** Open requests, oldest first, with counts per open status. */
  async queue(limit = 25): Promise<ManagerQueue> {
    const [requests, counts] = await Promise.all([this.queries.listByStatus(OPEN_STATUSES, limit), this.queries.countByStatus(OPEN_STATUSES)]);
    return { requests, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  /**
   * Acts on every request whose deadline has come: a reminder (business hours only), a postponement to the
   * next business hours, or the expiry of the secret code.
   * @remarks Safe with several instances: each step is a versioned write, so a due request is handled once;
   * the reminder's notice is written in that same transaction.
   */
  async sweep(limit = 50): Promise<SweepResult> {
    const now = this.clock();
    const result: SweepResult = { reminded: 0, expired: 0, postponed: 0, skipped: 0 };
    for (const request of await this.queries.findDue(now, limit)) {
      try {
        const outcome = await this.sweepOne(request, now);
        if (outcome) result[outcome]++;
      } catch (err) {
        if (!(err instanceof StaleRequestError)) throw err;
        result.skipped++;
      }
    }
    if (result.reminded + result.expired > 0) this.notifications.committed();
    return result;
  }

  private async sweepOne(request: RequestRecord, now: Date): Promise<'reminded' | 'expired' | 'postponed' | undefined> {
    if (request.status !== 'code_sent' || !request.codeExpiresAt) {
      await this.requests.update(request.id, request.version, { nextDueAt: null }, null, now);
      return undefined;
    }
    const step = sweepStep(now, codeSentAt(request.codeExpiresAt), request.registrationDoneAt !== null, this.policy);
    switch (step.kind) {
      case 'clear':
        await this.requests.update(request.id, request.version, { nextDueAt: null }, null, now);
        return undefined;
      case 'postpone':
        await this.requests.update(request.id, request.version, { nextDueAt: step.next }, null, now);
        return 'postponed';
      case 'remind':
        await this.requests.update(
          request.id,
          request.version,
          { remindersSent: request.remindersSent + 1, nextDueAt: step.next },
          { action: 'reminder_sent', fromStatus: 'code_sent', toStatus: 'code_sent', actorId: SYSTEM_ACTOR.userId, actorName: null },
          now,
          (tx, r) => this.notifications.requestChanged(tx, r, { action: 'reminder_sent', notice: 'reminder', updateCard: true }),
        );
        return 'reminded';
      case 'expire':
        await this.requests.update(
          request.id,
          request.version,
          { status: 'expired', nextDueAt: null },
          { action: 'expired', fromStatus: 'code_sent', toStatus: 'expired', actorId: SYSTEM_ACTOR.userId, actorName: null },
          now,
          (tx, r) => this.notifications.requestChanged(tx, r, { action: 'expired', notice: 'expired', updateCard: true }),
        );
        return 'expired';
    }
  }

  private changesFor(action: ManagerAction, request: RequestRecord, actor: Actor, now: Date, reason: string | undefined): Partial<RequestRecord> {
    const assignee = { assigneeId: request.assigneeId ?? actor.userId, assigneeName: request.assigneeId ? request.assigneeName : actor.name ?? null };
    switch (action) {
      case 'claim':
        return { assigneeId: actor.userId, assigneeName: actor.name ?? null };
      case 'codeSent':
        return { ...assignee, codeExpiresAt: codeExpiry(now), nextDueAt: firstDeadline(now, this.policy).at, remindersSent: 0, registrationDoneAt: null };
      case 'complete':
        return { ...assignee, closedAt: now, nextDueAt: null };
      case 'reject':
        return { ...assignee, rejectionReason: reason ?? null, closedAt: now, nextDueAt: null };
    }
  }

  private noticeFor(action: ManagerAction, request: RequestRecord): RequesterNotice {
    switch (action) {
      case 'claim':
        return 'claimed';
      case 'codeSent':
        return (request.status as RequestStatus) === 'in_progress' ? 'code_sent' : 'new_code';
      case 'complete':
        return 'completed';
      case 'reject':
        return 'rejected';
    }
  }
}
