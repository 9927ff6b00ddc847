import type { AccessLogRepository } from '../../data/accessLogRepository';

/** Who read or changed a request: their Teams user id and, when Teams gives it, their Entra ID (AAD) object id. */
export interface AuditActor {
  userId: string;
  aadObjectId?: string | null;
}

/**
 * The actions written to the access log. Reads of personal fields are `*.viewed` / `*.listed`; changes are
 * named after the change. Other features add their own (e.g. `queue.viewed`, `transcript.viewed`,
 * `request.taken`): any `area.verb` string is accepted.
 */
export const AUDIT_ACTIONS = {
  /** The requester's « Mes demandes » list showed the request (subject's name included). */
  requestsListed: 'requests.listed',
  /** A request was filed from a confirmed intake. */
  requestFiled: 'request.filed',
  /** The requester cancelled their request. */
  requestCancelled: 'request.cancelled',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS] | `${string}.${string}`;

/** An access-log row yet to be written with the change it records (its request id is the changed request's). */
export interface AuditEntry {
  actorId: string;
  actorAadObjectId: string | null;
  action: string;
  at: Date;
}

/**
 * The access trail required for personal information (Québec Law 25; the health-information act for a
 * public body): one row per read of a request's personal fields and per change of a request.
 * @remarks Call {@link record} *before* showing personal fields (if the log cannot be written, nothing is
 * shown) and *after* a change succeeds. The trail holds ids only (no names), and cannot be edited:
 * there is no update or delete here nor in the repository.
 */
export class AuditLog {
  constructor(
    private readonly repo: AccessLogRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Records one action by `actor` on a request (`null` when the action concerns no single request). */
  async record(actor: AuditActor, requestId: number | null, action: AuditAction): Promise<void> {
    await this.recordMany(actor, [requestId], action);
  }

  /** Records the same action on several requests at once (e.g. a list that shows them all). */
  async recordMany(actor: AuditActor, requestIds: readonly (number | null)[], action: AuditAction): Promise<void> {
    const entry = this.entry(actor, action);
    await this.repo.append(requestIds.map((requestId) => ({ ...entry, requestId })));
  }

  /**
   * The row {@link record} would write, for a change that writes it itself, in its own transaction (filing a request:
   * the request never exists without its row).
   */
  entry(actor: AuditActor, action: AuditAction): AuditEntry {
    if (!actor.userId) throw new Error('an access-log row needs the actor’s id');
    if (!/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z.]*$/.test(action)) throw new Error('an access-log action reads area.verb');
    return { actorId: actor.userId, actorAadObjectId: actor.aadObjectId ?? null, action, at: this.clock() };
  }
}
