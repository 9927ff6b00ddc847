import type { Db } from './db';
import { managerCardWrite, type RequestRecord } from './requestRepository';
import { applySentWrite } from './outboxRepository';
import { sqlRunnerOf, type SqlRunner } from './sql';

/** The queries and bookkeeping writes of the access managers' side (the versioned writes stay in RequestRepository). */
export class ManagerRequestRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: Db) {
    this.sql = sqlRunnerOf(db);
  }

  /** Requests in the given statuses, oldest first. */
  async listByStatus(statuses: readonly string[], limit: number): Promise<RequestRecord[]> {
    return this.db.accessRequest.findMany({ where: { status: { in: [...statuses] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: limit });
  }

  /** How many requests are in each of the given statuses (zero included). */
  async countByStatus(statuses: readonly string[]): Promise<Record<string, number>> {
    const groups = await this.db.accessRequest.groupBy({ by: ['status'], where: { status: { in: [...statuses] } }, _count: { _all: true } });
    const counts: Record<string, number> = Object.fromEntries(statuses.map((s) => [s, 0]));
    for (const g of groups) counts[g.status] = g._count._all;
    return counts;
  }

  /** Requests in the given statuses whose managers' card was never posted. */
  async listWithoutCard(statuses: readonly string[], limit: number): Promise<RequestRecord[]> {
    return this.db.accessRequest.findMany({ where: { status: { in: [...statuses] }, managerCardActivityId: null }, orderBy: { id: 'asc' }, take: limit });
  }

  /** Requests whose next deadline has come, the most overdue first. */
  async findDue(now: Date, limit: number): Promise<RequestRecord[]> {
    return this.db.accessRequest.findMany({ where: { nextDueAt: { lte: now } }, orderBy: [{ nextDueAt: 'asc' }, { id: 'asc' }], take: limit });
  }

  /**
   * Remembers where the managers' card was posted.
   * @remarks Not versioned on purpose: it is delivery bookkeeping, not a decision, and must not make a
   * manager's concurrent action fail.
   */
  async setManagerCard(id: number, posted: { activityId: string; conversationId: string }): Promise<void> {
    // The same write the card delivery makes with its outbox row's mark as sent (managerCardWrite), here alone.
    await applySentWrite(this.sql, this.db, managerCardWrite(id, posted));
  }

  /** Records whether the requester's chat can be reached (false after a 403: the bot is blocked). Returns true when it changed. */
  async setRequesterUnreachable(id: number, unreachable: boolean): Promise<boolean> {
    const res = await this.db.accessRequest.updateMany({ where: { id, requesterUnreachable: !unreachable }, data: { requesterUnreachable: unreachable } });
    return res.count === 1;
  }
}
