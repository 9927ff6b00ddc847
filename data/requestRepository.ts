import type { Db, DbTx } from './db';
import { sqlRunnerOf, type SqlRunner } from './sql';

/** A request as stored (plain object). */
export interface RequestRecord {
  id: number;
  reference: string;
  kind: string;
  status: string;
  requesterRole: string;
  requesterUserId: string;
  requesterAadObjectId: string | null;
  requesterName: string | null;
  requesterEmail: string | null;
  requesterConversationId: string;
  locale: string;
  lastName: string | null;
  firstName: string | null;
  practiceLocation: string | null;
  email: string | null;
  ramqUserCode: string | null;
  employeeNumber: string | null;
  jobTitle: string | null;
  supervisorAuthorized: boolean | null;
  authorizedBy: string | null;
  idempotencyKey: string;
  assigneeId: string | null;
  assigneeName: string | null;
  codeExpiresAt: Date | null;
  registrationDoneAt: Date | null;
  rejectionReason: string | null;
  managerCardActivityId: string | null;
  managerCardConversationId: string | null;
  requesterUnreachable: boolean;
  /** Next deadline the sweep acts on (reminder or expiry of the secret code). */
  nextDueAt: Date | null;
  remindersSent: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  erasedAt: Date | null;
}

/** What filing needs to store; reference and id are assigned by the repository. */
export interface NewRequest {
  kind: string;
  requesterRole: string;
  requesterUserId: string;
  requesterAadObjectId?: string | null;
  requesterName?: string | null;
  requesterEmail?: string | null;
  requesterConversationId: string;
  locale: string;
  lastName: string;
  firstName: string;
  practiceLocation?: string | null;
  email: string;
  ramqUserCode?: string | null;
  employeeNumber?: string | null;
  jobTitle?: string | null;
  supervisorAuthorized?: boolean | null;
  authorizedBy?: string | null;
  idempotencyKey: string;
}

/** One change in a request's history. */
export interface RequestEventRecord {
  id: number;
  requestId: number;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  actorId: string;
  actorName: string | null;
  reason: string | null;
  at: Date;
}

export interface NewEvent {
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  actorId: string;
  actorName?: string | null;
  reason?: string | null;
}

/** Thrown when a versioned update finds the request changed since it was read. */
export class StaleRequestError extends Error {
  override name = 'StaleRequestError';
  constructor(public readonly current: RequestRecord | null) {
    super('The request changed since it was read');
  }
}

/** Statuses of a request still in the access managers' queue (not closed). */
export const OPEN_REQUEST_STATUSES = ['submitted', 'in_progress', 'code_sent'] as const;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}

/** Stores requests and their events; writes that can race carry the version column. */
export class RequestRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: Db) {
    this.sql = sqlRunnerOf(db);
  }

  /** Whether a request was filed with this idempotency key (plain SQL when available: asked on every filing). */
  private async filedWith(idempotencyKey: string): Promise<boolean> {
    if (!this.sql) return (await this.findByIdempotencyKey(idempotencyKey)) !== null;
    const rows = await this.sql.query('SELECT "id" FROM "access_requests" WHERE "idempotency_key" = ?', [idempotencyKey]);
    return rows.length > 0;
  }

  /**
   * Files a request in one transaction: next yearly number, the request, its first event, and whatever
   * `alsoInTransaction` adds (e.g. an outbox row).
   * @returns the stored request and `created: false` when the idempotency key had already filed one.
   */
  async file(
    input: NewRequest,
    now: Date,
    formatReference: (year: number, n: number) => string,
    alsoInTransaction?: (tx: DbTx, request: RequestRecord) => Promise<void>,
  ): Promise<{ request: RequestRecord; created: boolean }> {
    if (await this.filedWith(input.idempotencyKey)) {
      const existing = await this.findByIdempotencyKey(input.idempotencyKey);
      if (existing) return { request: existing, created: false };
    }
    const year = now.getUTCFullYear();
    try {
      const request = await this.db.$transaction(async (tx) => {
        const counter = await tx.referenceCounter.upsert({
          where: { year },
          create: { year, last: 1 },
          update: { last: { increment: 1 } },
        });
        const created = await tx.accessRequest.create({
          data: { ...input, reference: formatReference(year, counter.last), status: 'submitted', createdAt: now, updatedAt: now },
        });
        await tx.requestEvent.create({
          data: { requestId: created.id, action: 'filed', fromStatus: null, toStatus: 'submitted', actorId: input.requesterUserId, actorName: input.requesterName ?? null, at: now },
        });
        if (alsoInTransaction) await alsoInTransaction(tx, created);
        return created;
      });
      return { request, created: true };
    } catch (err) {
      if (isUniqueViolation(err)) {
        const again = await this.findByIdempotencyKey(input.idempotencyKey);
        if (again) return { request: again, created: false };
      }
      throw err;
    }
  }

  async findById(id: number): Promise<RequestRecord | null> {
    return this.db.accessRequest.findUnique({ where: { id } });
  }

  async findByIdempotencyKey(key: string): Promise<RequestRecord | null> {
    return this.db.accessRequest.findUnique({ where: { idempotencyKey: key } });
  }

  async findByReference(reference: string): Promise<RequestRecord | null> {
    return this.db.accessRequest.findUnique({ where: { reference } });
  }

  /** A requester's requests, newest first. */
  async listByRequester(requesterUserId: string, limit = 20): Promise<RequestRecord[]> {
    return this.db.accessRequest.findMany({ where: { requesterUserId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
  }

  /**
   * The access managers' queue: open requests, oldest first.
   * @remarks One query per open status, each reading at most `limit` rows from the (status, created_at) index, then
   * merged: the time stays flat however many closed requests pile up, and however long the backlog is.
   */
  async listOpen(limit = 50): Promise<RequestRecord[]> {
    const perStatus = await Promise.all(
      OPEN_REQUEST_STATUSES.map((status) =>
        this.db.accessRequest.findMany({ where: { status }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: limit }),
      ),
    );
    return perStatus
      .flat()
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id)
      .slice(0, limit);
  }

  /** How many requests have each of these statuses (default: the open ones); statuses with none count 0. */
  async countByStatus(statuses: readonly string[] = OPEN_REQUEST_STATUSES): Promise<Record<string, number>> {
    const groups = await this.db.accessRequest.groupBy({ by: ['status'], where: { status: { in: [...statuses] } }, _count: { _all: true } });
    const counts: Record<string, number> = Object.fromEntries(statuses.map((s) => [s, 0]));
    for (const g of groups) counts[g.status] = g._count._all;
    return counts;
  }

  /** Requests whose secret code was sent and expires at or before `cutoff`, soonest first (the reminder sweep's query). */
  async listCodeSentDueBy(cutoff: Date, limit = 100): Promise<RequestRecord[]> {
    return this.db.accessRequest.findMany({
      where: { status: 'code_sent', codeExpiresAt: { lte: cutoff } },
      orderBy: [{ codeExpiresAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
  }

  /**
   * Applies a change only if the request still has `expectedVersion`, records its event (when given) and
   * runs `alsoInTransaction` (e.g. outbox rows) in the same transaction.
   * @throws StaleRequestError when someone else changed it first.
   */
  async update(
    id: number,
    expectedVersion: number,
    changes: Partial<Omit<RequestRecord, 'id' | 'version'>>,
    event: NewEvent | null,
    now: Date,
    alsoInTransaction?: (tx: DbTx, request: RequestRecord) => Promise<void>,
  ): Promise<RequestRecord> {
    return this.db.$transaction(async (tx) => {
      const res = await tx.accessRequest.updateMany({
        where: { id, version: expectedVersion },
        data: { ...changes, version: { increment: 1 }, updatedAt: now },
      });
      if (res.count !== 1) {
        throw new StaleRequestError(await tx.accessRequest.findUnique({ where: { id } }));
      }
      if (event) await tx.requestEvent.create({ data: { requestId: id, ...event, at: now } });
      const updated = (await tx.accessRequest.findUnique({ where: { id } }))!;
      if (alsoInTransaction) await alsoInTransaction(tx, updated);
      return updated;
    });
  }

  async events(requestId: number): Promise<RequestEventRecord[]> {
    return this.db.requestEvent.findMany({ where: { requestId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }
}
