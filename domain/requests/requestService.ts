import type { TxClient } from '../../data/tx';
import { RequestRepository, StaleRequestError, type FilingWrites, type RequestRecord } from '../../data/requestRepository';
import { formatReference } from '../intake/reference';
import type { AuditEntry } from '../privacy/auditLog';
import type { IntakeValues, WithdrawalValues } from '../intake/fields';
import type { RequestKind, RequesterRole } from '../intake/kinds';

/** Who is acting: Teams ids, not only a display name. */
export interface Actor {
  userId: string;
  aadObjectId?: string | null;
  name?: string | null;
  email?: string | null;
}

/** Everything needed to file one request from a confirmed intake. */
export interface FileRequestInput {
  kind: RequestKind;
  role: RequesterRole;
  values: IntakeValues | WithdrawalValues;
  requester: Actor;
  conversationId: string;
  locale: string;
  /** The card instance that confirmed the request: the same card confirmed twice files once. */
  idempotencyKey: string;
  /** The filing's access-log row (`AuditLog.entry`), written with the request: never one without the other. */
  audit?: AuditEntry;
}

export type Clock = () => Date;

/** Outcome of a requester's cancellation. */
export type CancelOutcome =
  | { ok: true; request: RequestRecord }
  | { ok: false; reason: 'not_found' | 'not_yours' | 'not_cancellable'; request?: RequestRecord };

/** Hooks of the requester's use cases beyond filing (the managers' notifications use them). */
export interface RequestServiceHooks {
  /** Runs inside the transaction of a requester's cancellation (e.g. to update the managers' card). */
  onCancelled?: (tx: TxClient, request: RequestRecord) => Promise<void>;
  /** Runs after a filing or a cancellation committed (e.g. to deliver the outbox at once). */
  afterCommit?: () => void;
}

/** Use cases of a request from the requester's side: file, list, cancel. */
export class RequestService {
  /** What a filing writes with the request (the constructor's `onFiled`, a function given as its `inTransaction`). */
  private readonly onFiled: FilingWrites;

  constructor(
    private readonly repo: RequestRepository,
    private readonly clock: Clock = () => new Date(),
    /**
     * What a filing writes with the request (the managers' notification outbox uses it): rows described by the new
     * request's id ({@link FilingWrites}: one statement on PostgreSQL), or a function run inside the filing transaction.
     */
    onFiled?: FilingWrites | ((tx: TxClient, request: RequestRecord) => Promise<void>),
    private readonly hooks: RequestServiceHooks = {},
  ) {
    this.onFiled = typeof onFiled === 'function' ? { inTransaction: onFiled } : (onFiled ?? {});
  }

  /** Files a confirmed intake once; a second confirmation of the same card returns the first filing. */
  async fileRequest(input: FileRequestInput): Promise<{ request: RequestRecord; created: boolean }> {
    const v = input.values as Partial<IntakeValues & WithdrawalValues>;
    const managerAuthorized = input.role === 'manager' && v.supervisorAuthorized === true;
    const filed = await this.repo.file(
      {
        kind: input.kind,
        requesterRole: input.role,
        requesterUserId: input.requester.userId,
        requesterAadObjectId: input.requester.aadObjectId ?? null,
        requesterName: input.requester.name ?? null,
        requesterEmail: input.requester.email ?? null,
        requesterConversationId: input.conversationId,
        locale: input.locale,
        lastName: v.lastName!,
        firstName: v.firstName!,
        practiceLocation: v.practiceLocation ?? null,
        email: v.email!,
        ramqUserCode: v.ramqUserCode ?? null,
        employeeNumber: v.employeeNumber ?? null,
        jobTitle: v.jobTitle ?? null,
        supervisorAuthorized: input.role === 'manager' ? managerAuthorized : null,
        // The manager attests the immediate supervisor's authorization; a supervisor files withdrawals themself.
        authorizedBy: managerAuthorized || input.role === 'supervisor' ? input.requester.userId : null,
        idempotencyKey: input.idempotencyKey,
      },
      this.clock(),
      formatReference,
      { ...this.onFiled, ...(input.audit ? { accessLog: input.audit } : {}) },
    );
    if (filed.created) this.hooks.afterCommit?.();
    return filed;
  }

  /** The request filed by this card instance, if any. */
  async findFiledBy(idempotencyKey: string): Promise<RequestRecord | null> {
    return this.repo.findByIdempotencyKey(idempotencyKey);
  }

  /** The requester's own requests, newest first. */
  async listMine(userId: string, limit = 20): Promise<RequestRecord[]> {
    return this.repo.listByRequester(userId, limit);
  }

  /** A requester cancels their own request while it is still `submitted`. */
  async cancelByRequester(actor: Actor, requestId: number): Promise<CancelOutcome> {
    const request = await this.repo.findById(requestId);
    if (!request) return { ok: false, reason: 'not_found' };
    if (request.requesterUserId !== actor.userId) return { ok: false, reason: 'not_yours' };
    if (request.status !== 'submitted') return { ok: false, reason: 'not_cancellable', request };
    try {
      const updated = await this.repo.update(
        request.id,
        request.version,
        { status: 'cancelled', closedAt: this.clock() },
        { action: 'cancelled', fromStatus: 'submitted', toStatus: 'cancelled', actorId: actor.userId, actorName: actor.name ?? null },
        this.clock(),
        this.hooks.onCancelled,
      );
      this.hooks.afterCommit?.();
      return { ok: true, request: updated };
    } catch (err) {
      if (err instanceof StaleRequestError) return { ok: false, reason: 'not_cancellable', request: err.current ?? undefined };
      throw err;
    }
  }
}
