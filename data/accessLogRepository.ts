import type { DbTx } from './db';
import { sqlRunnerOf, type SqlRunner } from './sql';
import { isSqlTx, type TxClient } from './tx';

/** One row of the access log, as stored. */
export interface AccessLogRecord {
  id: number;
  actorId: string;
  actorAadObjectId: string | null;
  requestId: number | null;
  action: string;
  at: Date;
}

/** What appending a row needs. */
export interface NewAccessLogEntry {
  actorId: string;
  actorAadObjectId?: string | null;
  requestId: number | null;
  action: string;
  at: Date;
}

const COLUMNS = `"actor_id", "actor_aad_object_id", "request_id", "action", "at"`;

/** Where {@link accessLogInsert} takes each column from: SQL expressions over its source's rows. */
export interface AccessLogColumns {
  actorId: string;
  actorAadObjectId: string;
  requestId: string;
  action: string;
  at: string;
}

/** PostgreSQL: the access-log row of each row of `source` (a CTE, or CTEs joined), as {@link append} writes it. */
export function accessLogInsert(source: string, columns: AccessLogColumns): string {
  const { actorId, actorAadObjectId, requestId, action, at } = columns;
  return `INSERT INTO "access_log" (${COLUMNS}) SELECT ${actorId}, ${actorAadObjectId}, ${requestId}, ${action}, ${at} FROM ${source}`;
}

/**
 * The access log table (`access_log`): append and read, nothing else.
 * @remarks Deliberately without update or delete: the application has no code path that changes or removes
 * an access-log row (test/unit/access-log.test.ts checks it). On PostgreSQL the application role is granted
 * INSERT and SELECT only on this table (README, « Access log »).
 */
export class AccessLogRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: DbTx) {
    this.sql = sqlRunnerOf(db);
  }

  /** Appends rows (one per request read or changed): one INSERT, plain SQL when the client has a runner. */
  async append(entries: NewAccessLogEntry[]): Promise<void> {
    await AccessLogRepository.append(this.sql ?? this.db, entries);
  }

  /** {@link append} inside the caller's transaction when `tx` is one (e.g. with the change it records). */
  static async append(tx: TxClient, entries: NewAccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (isSqlTx(tx)) {
      await tx.execute(
        `INSERT INTO "access_log" (${COLUMNS}) VALUES ${entries.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        entries.flatMap((e) => [e.actorId, e.actorAadObjectId ?? null, e.requestId, e.action, e.at]),
      );
      return;
    }
    await tx.accessLogEntry.createMany({
      data: entries.map((e) => ({ actorId: e.actorId, actorAadObjectId: e.actorAadObjectId ?? null, requestId: e.requestId, action: e.action, at: e.at })),
    });
  }

  /** The rows about one request, oldest first (for an investigation or a person's access request). */
  async forRequest(requestId: number): Promise<AccessLogRecord[]> {
    return this.db.accessLogEntry.findMany({ where: { requestId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }

  /** The rows written by one actor, oldest first. */
  async byActor(actorId: string): Promise<AccessLogRecord[]> {
    return this.db.accessLogEntry.findMany({ where: { actorId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }
}
