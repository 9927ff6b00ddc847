import type { Db, DbTx } from './db';
import { rowMapper } from './rowMapping';
import { isUniqueViolation, placeholders, readSqlDate, sqlRunnerOf, type SqlRunner, type SqlValue } from './sql';
import { isSqlTx, type TxClient } from './tx';
import { StatementBatcher } from './statementBatcher';

/**
 * Where an outbox message goes.
 * - `conversation`: a conversation whose reference the bot stored (a requester's personal chat, a thread).
 * - `channel`: a new message (a new thread) in a team's channel; `channelId` defaults to the team's General channel.
 */
export type OutboxTarget =
  | { type: 'conversation'; conversationId: string }
  | { type: 'channel'; teamId: string; channelId?: string };

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** An outbox message as stored (plain object, JSON columns parsed). */
export type OutboxRecord<P = unknown> = Omit<Row, 'target' | 'payload' | 'status'> & {
  target: OutboxTarget;
  payload: P;
  status: OutboxStatus;
};

/** What to enqueue. */
export interface NewOutboxMessage<P = unknown> {
  kind: string;
  target: OutboxTarget;
  payload: P;
  /** Enqueuing twice with the same key stores one row (the second call returns the first). */
  dedupeKey?: string;
  /** Rows sharing this key are delivered one at a time, in id order (e.g. `request:42`). */
  orderingKey?: string;
  /** Not before this instant (default: now). */
  notBefore?: Date;
}

/**
 * A write that records a delivery elsewhere (e.g. where a request's managers' card was posted), made with the row's
 * `markSent`: in the same statement on PostgreSQL, so a delivery costs one statement instead of two.
 * @remarks `sql` is one UPDATE with `?` placeholders, valid on both databases and without RETURNING, that must change
 * exactly one row: when it changes none, the row is not marked sent and `markSent` throws `missing` (the dispatcher
 * then retries the delivery, as when a handler's own write throws).
 */
export interface SentWrite {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  /** The same write through Prisma (a client without plain-SQL runner); resolves to the number of rows changed. */
  viaPrisma(db: DbTx): Promise<number>;
  /** The message of the error thrown when it changes no row. */
  readonly missing: string;
  /**
   * The row it writes, when it is an overwrite (safe to run twice): then, on PostgreSQL, the mark it goes with may
   * share a statement with other deliveries' marks (never with another write of the same key).
   */
  readonly key?: string;
}

/** Makes a {@link SentWrite} alone, on the runner when there is one, else through Prisma; throws its `missing` when it changes no row. */
export async function applySentWrite(sql: SqlRunner | undefined, db: DbTx, write: SentWrite): Promise<void> {
  const written = sql ? await sql.execute(write.sql, write.params) : await write.viaPrisma(db);
  if (written !== 1) throw new Error(write.missing);
}

/** What a delivery posted, and what else records it. */
export interface SentRecord {
  activityId?: string | null;
  conversationId?: string | null;
  /** Made with the mark (see {@link SentWrite}). */
  alsoWrite?: SentWrite;
}

/**
 * An outbox message about a request being filed, described before the request has its id: its payload is
 * `{ "<idField>": <id> }` and its ordering key `<prefix><id><suffix>`, so that the filing's own statement can write it
 * (RequestRepository.file); {@link requestOutboxMessage} gives the same message in JavaScript.
 */
export interface RequestOutboxMessage {
  kind: string;
  target: OutboxTarget;
  idField: string;
  orderingKey?: { prefix: string; suffix: string };
}

/** The message a {@link RequestOutboxMessage} stands for, once the request has its id. */
export function requestOutboxMessage(message: RequestOutboxMessage, requestId: number): NewOutboxMessage<Record<string, number>> {
  return {
    kind: message.kind,
    target: message.target,
    payload: { [message.idField]: requestId },
    ...(message.orderingKey ? { orderingKey: `${message.orderingKey.prefix}${requestId}${message.orderingKey.suffix}` } : {}),
  };
}

/**
 * PostgreSQL: an INSERT of a {@link RequestOutboxMessage} for each row of `source` (a CTE), its id in `idColumn`,
 * writing what {@link OutboxRepository.enqueue} writes for {@link requestOutboxMessage}: the payload is the JSON
 * `JSON.stringify` makes of `{ idField: id }` (no spaces), built as text; pending, due at `at` (an expression of
 * `source`: the filing's time), which is also its creation time. Parameters: {@link requestOutboxParams}.
 * @remarks `after`: the CTE of the message enqueued before this one. Sibling data-modifying CTEs run in no set order;
 * counting the rows of the one before (a subquery run once, before this INSERT's first row) makes it insert all of its
 * rows first, so each request's ids (the delivery order of an ordering key) follow the list.
 */
export function requestOutboxInsert(source: string, idColumn: string, at: string, after?: string): string {
  const id = `CAST(${idColumn} AS TEXT)`;
  return `INSERT INTO "outbox_messages" (${ENQUEUE_COLUMNS.map((c) => `"${c}"`).join(', ')})
    SELECT ?, ?, '{' || ? || ':' || ${id} || '}', NULL, ? || ${id} || ?, 'pending', 0, ${at}, ${at}, ${at} FROM ${source}
    ${after ? `WHERE (SELECT count(*) FROM ${after}) >= 0 ` : ''}RETURNING "id"`;
}

/** The parameters of {@link requestOutboxInsert} (a null ordering key when the message has none). */
export function requestOutboxParams(message: RequestOutboxMessage): SqlValue[] {
  return [
    message.kind,
    targetKey(message.target),
    JSON.stringify(message.idField),
    message.orderingKey?.prefix ?? null,
    message.orderingKey?.suffix ?? null,
  ];
}

/** Counts per status, and the oldest failures (ids, kinds and error classes only: no personal data). */
export interface OutboxHealth {
  pending: number;
  failed: number;
  oldestPendingAt: string | null;
  failures: { id: number; kind: string; attempts: number; lastError: string | null; at: string }[];
}

/** A row as stored (JSON columns as text). */
type Row = {
  id: number;
  kind: string;
  target: string;
  payload: string;
  dedupeKey: string | null;
  orderingKey: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lockOwner: string | null;
  lockedUntil: Date | null;
  activityId: string | null;
  conversationId: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
};

/** Outbox rows read with plain SQL (enqueue, claim), as Prisma would return them. */
const OUTBOX_ROW = rowMapper<Row>({
  id: ['id', 'int', false],
  kind: ['kind', 'string', false],
  target: ['target', 'string', false],
  payload: ['payload', 'string', false],
  dedupeKey: ['dedupe_key', 'string', true],
  orderingKey: ['ordering_key', 'string', true],
  status: ['status', 'string', false],
  attempts: ['attempts', 'int', false],
  nextAttemptAt: ['next_attempt_at', 'date', false],
  lockOwner: ['lock_owner', 'string', true],
  lockedUntil: ['locked_until', 'date', true],
  activityId: ['activity_id', 'string', true],
  conversationId: ['conversation_id', 'string', true],
  lastError: ['last_error', 'string', true],
  createdAt: ['created_at', 'date', false],
  updatedAt: ['updated_at', 'date', false],
  sentAt: ['sent_at', 'date', true],
});
const ENQUEUE_COLUMNS = ['kind', 'target', 'payload', 'dedupe_key', 'ordering_key', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at'];
const ENQUEUE_SQL = `INSERT INTO "outbox_messages" (${ENQUEUE_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${placeholders(ENQUEUE_COLUMNS.length)}) RETURNING ${OUTBOX_ROW.columns}`;

function toRecord<P>(row: Row): OutboxRecord<P> {
  return { ...row, status: row.status as OutboxStatus, target: JSON.parse(row.target) as OutboxTarget, payload: JSON.parse(row.payload) as P };
}

/** The canonical string of a target, so rows for one target can be found again (e.g. to requeue them). */
export function targetKey(target: OutboxTarget): string {
  return target.type === 'conversation'
    ? JSON.stringify({ type: 'conversation', conversationId: target.conversationId })
    : JSON.stringify({ type: 'channel', teamId: target.teamId, ...(target.channelId ? { channelId: target.channelId } : {}) });
}

/** The dispatcher's statements in plain SQL (one per call), for a client opened by `openDatabase`. */
export interface OutboxStatements {
  claim: string;
  markSent: string;
  markRetry: string;
  markFailed: string;
  healthCounts: string;
  healthFailures: string;
}

const UNLOCKED = (alias: string) => `(${alias}"locked_until" IS NULL OR ${alias}"locked_until" < ?)`;
/** A row held by `owner` and still pending (a late acknowledgement of a lost claim changes nothing). */
const HELD = `WHERE "id" = ? AND "lock_owner" = ? AND "status" = 'pending'`;

/** The statements for a runner's database (exported for the tests of their plans). */
export function outboxStatements(sql: SqlRunner): OutboxStatements {
  // Due: pending, time has come, not locked (or its lock expired), and no older pending row shares its ordering
  // key. The oldest due rows are locked for the caller in the same statement; on PostgreSQL, rows another instance
  // is claiming at this very moment are skipped (SKIP LOCKED), and the outer conditions are checked again on the
  // row as committed, so two instances never hold the same row.
  // SQLite walks the pending rows in id order through 0005's partial index and stops at the limit, then updates the
  // claimed rows by rowid (NOT INDEXED: no index, the rowid itself). Left to itself, it read every due row through
  // the (status, next attempt) index and sorted them, then scanned every pending row again for the update (4.8 ms per
  // claim with 10,000 due rows, blocking the event loop, against 0.7 ms with 1,000).
  const claim = `WITH "due" AS (
      SELECT m."id" FROM "outbox_messages" m${sql.provider === 'sqlite' ? ' INDEXED BY "outbox_messages_pending_id_idx"' : ''}
      WHERE m."status" = 'pending' AND m."next_attempt_at" <= ? AND ${UNLOCKED('m.')}
        AND (m."ordering_key" IS NULL OR NOT EXISTS (
          SELECT 1 FROM "outbox_messages" o WHERE o."ordering_key" = m."ordering_key" AND o."status" = 'pending' AND o."id" < m."id"))
      ORDER BY m."id" LIMIT ?${sql.provider === 'postgresql' ? ' FOR UPDATE SKIP LOCKED' : ''}
    )
    UPDATE "outbox_messages"${sql.provider === 'sqlite' ? ' NOT INDEXED' : ''} SET "lock_owner" = ?, "locked_until" = ?, "updated_at" = ?
    WHERE "id" IN (SELECT "id" FROM "due") AND "status" = 'pending' AND ${UNLOCKED('')}
    RETURNING ${OUTBOX_ROW.columns}`;
  return {
    claim,
    markSent: `UPDATE "outbox_messages" SET "status" = 'sent', "attempts" = "attempts" + 1, "sent_at" = ?, "updated_at" = ?,
      "lock_owner" = NULL, "locked_until" = NULL, "last_error" = NULL, "activity_id" = ?, "conversation_id" = ? ${HELD}`,
    markRetry: `UPDATE "outbox_messages" SET "attempts" = "attempts" + 1, "next_attempt_at" = ?, "last_error" = ?, "updated_at" = ?,
      "lock_owner" = NULL, "locked_until" = NULL ${HELD}`,
    markFailed: `UPDATE "outbox_messages" SET "status" = 'failed', "attempts" = "attempts" + 1, "last_error" = ?, "updated_at" = ?,
      "lock_owner" = NULL, "locked_until" = NULL ${HELD}`,
    healthCounts: `SELECT CAST(COALESCE(SUM(CASE WHEN "status" = 'pending' THEN 1 ELSE 0 END), 0) AS INTEGER) AS "pending",
        CAST(COALESCE(SUM(CASE WHEN "status" = 'failed' THEN 1 ELSE 0 END), 0) AS INTEGER) AS "failed",
        MIN(CASE WHEN "status" = 'pending' THEN "created_at" END) AS "oldestPendingAt"
      FROM "outbox_messages" WHERE "status" IN ('pending', 'failed')`,
    healthFailures: `SELECT "id", "kind", "attempts", "last_error" AS "lastError", "updated_at" AS "updatedAt"
      FROM "outbox_messages" WHERE "status" = 'failed' ORDER BY "id" LIMIT 10`,
  };
}

/** A mark as sent waiting for its statement (PostgreSQL): the markSent parameters, and the write made with it if any. */
interface Mark {
  id: number;
  params: SqlValue[];
  also?: SentWrite;
}

/** How many marks one PostgreSQL statement carries at most (the dispatcher delivers 8 rows at once by default). */
const MAX_MARKS = 16;

/**
 * PostgreSQL: marks as sent in one statement, as data-modifying CTEs: a mark with a {@link SentWrite} waits for the
 * write (EXISTS on its CTE), so a write that changes no row leaves the row pending, as the two statements one after
 * the other did, and the write is made whether or not the claim is still held. One row with the rows each changed
 * (`w<n>` written, `s<n>` sent, n its place in the statement). Marks are placed by their write's SQL, so the
 * statement's text depends only on how many of each kind.
 */
function marksBatch(markSent: string, marks: readonly Mark[]): { sql: string; params: SqlValue[]; place: number[] } {
  const order = marks.map((_, i) => i).sort((a, b) => (marks[a]!.also?.sql ?? '').localeCompare(marks[b]!.also?.sql ?? '') || a - b);
  const ctes: string[] = [];
  const columns: string[] = [];
  const params: SqlValue[] = [];
  const place: number[] = [];
  order.forEach((index, n) => {
    const { also, params: markParams } = marks[index]!;
    place[index] = n;
    if (also) {
      ctes.push(`"w${n}" AS (${also.sql} RETURNING 1 AS "one")`);
      ctes.push(`"s${n}" AS (${markSent} AND EXISTS (SELECT 1 FROM "w${n}") RETURNING 1 AS "one")`);
      columns.push(`CAST((SELECT COUNT(*) FROM "w${n}") AS INTEGER) AS "w${n}"`);
      params.push(...also.params);
    } else {
      ctes.push(`"s${n}" AS (${markSent} RETURNING 1 AS "one")`);
    }
    params.push(...markParams);
    columns.push(`CAST((SELECT COUNT(*) FROM "s${n}") AS INTEGER) AS "s${n}"`);
  });
  return { sql: `WITH ${ctes.join(', ')} SELECT ${columns.join(', ')}`, params, place };
}

/**
 * Stores outbox messages and lets several dispatcher instances claim them safely.
 * @remarks Claiming is a compare-and-set on (status, lock) per row, so two instances never hold the same row;
 * a row whose holder died is claimable again once `lockedUntil` has passed. What the dispatcher runs all the time
 * (claim, sent, retry, failed, health counts) is plain SQL ({@link SqlRunner}) on a client opened by
 * `openDatabase`, Prisma otherwise; enqueuing joins the caller's transaction, Prisma's or the runner's ({@link TxClient}).
 */
export class OutboxRepository {
  private readonly sql?: SqlRunner;
  private readonly statements?: OutboxStatements;

  /** PostgreSQL: the marks as sent of concurrent deliveries, in one statement ({@link StatementBatcher}). */
  private readonly marks?: StatementBatcher<Mark, { written: number; sent: number }>;

  constructor(private readonly db: Db) {
    this.sql = sqlRunnerOf(db);
    if (this.sql) this.statements = outboxStatements(this.sql);
    const sql = this.sql;
    const markSent = this.statements?.markSent;
    if (sql?.provider === 'postgresql' && markSent) {
      const sendMarks = async (marks: readonly Mark[]) => {
        const batch = marksBatch(markSent, marks);
        const [row] = await sql.query<Record<string, unknown>>(batch.sql, batch.params);
        if (!row) throw new Error('outbox: the marks returned no row');
        return marks.map((mark, i) => ({ written: mark.also ? Number(row[`w${batch.place[i]}`]) : 1, sent: Number(row[`s${batch.place[i]}`]) }));
      };
      this.marks = new StatementBatcher(sendMarks, {
        keysOf: (mark) => (mark.also?.key ? [`outbox:${mark.id}`, mark.also.key] : [`outbox:${mark.id}`]),
        maxBatch: MAX_MARKS,
        // A mark run again changes nothing (the row is no longer pending) and its write is an overwrite.
        retryAlone: true,
      });
    }
  }

  /**
   * Adds a message, inside the caller's transaction when `tx` is one (the transactional outbox).
   * @remarks With a `dedupeKey` already stored, nothing is added and the stored row is returned. Inside a
   * PostgreSQL transaction a duplicate key aborts the transaction, so callers that may enqueue twice in one
   * transaction should check {@link findByDedupeKey} first.
   */
  static async enqueue<P>(tx: TxClient, message: NewOutboxMessage<P>, now: Date): Promise<OutboxRecord<P>> {
    if (isSqlTx(tx)) {
      if (message.dedupeKey) {
        const [existing] = await tx.query(`SELECT ${OUTBOX_ROW.columns} FROM "outbox_messages" WHERE "dedupe_key" = ?`, [message.dedupeKey]);
        if (existing) return toRecord<P>(OUTBOX_ROW.map(existing));
      }
      const [row] = await tx.query(ENQUEUE_SQL, [
        message.kind,
        targetKey(message.target),
        JSON.stringify(message.payload ?? null),
        message.dedupeKey ?? null,
        message.orderingKey ?? null,
        'pending',
        0,
        message.notBefore ?? now,
        now,
        now,
      ]);
      return toRecord<P>(OUTBOX_ROW.map(row!));
    }
    if (message.dedupeKey) {
      const existing = await tx.outboxMessage.findUnique({ where: { dedupeKey: message.dedupeKey } });
      if (existing) return toRecord<P>(existing);
    }
    const row = await tx.outboxMessage.create({
      data: {
        kind: message.kind,
        target: targetKey(message.target),
        payload: JSON.stringify(message.payload ?? null),
        dedupeKey: message.dedupeKey ?? null,
        orderingKey: message.orderingKey ?? null,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: message.notBefore ?? now,
        createdAt: now,
        updatedAt: now,
      },
    });
    return toRecord<P>(row);
  }

  /** {@link OutboxRepository.enqueue} outside any transaction (tolerates a concurrent duplicate key). */
  async enqueue<P>(message: NewOutboxMessage<P>, now: Date): Promise<OutboxRecord<P>> {
    try {
      return await OutboxRepository.enqueue(this.db, message, now);
    } catch (err) {
      if (isUniqueViolation(err) && message.dedupeKey) {
        const again = await this.findByDedupeKey<P>(message.dedupeKey);
        if (again) return again;
      }
      throw err;
    }
  }

  async findById<P = unknown>(id: number): Promise<OutboxRecord<P> | null> {
    const row = await this.db.outboxMessage.findUnique({ where: { id } });
    return row ? toRecord<P>(row) : null;
  }

  async findByDedupeKey<P = unknown>(key: string): Promise<OutboxRecord<P> | null> {
    const row = await this.db.outboxMessage.findUnique({ where: { dedupeKey: key } });
    return row ? toRecord<P>(row) : null;
  }

  /** Every row of a kind or ordering key, oldest first (tests, diagnostics). */
  async list<P = unknown>(filter: { kind?: string; orderingKey?: string; status?: OutboxStatus } = {}): Promise<OutboxRecord<P>[]> {
    const rows = await this.db.outboxMessage.findMany({ where: filter, orderBy: { id: 'asc' } });
    return rows.map((r) => toRecord<P>(r));
  }

  /**
   * Claims up to `limit` due rows for `owner` until `lockedUntil`.
   * @remarks A row is due when pending, `nextAttemptAt <= now`, unlocked (or its lock expired), and no older
   * pending row shares its ordering key. Each claim is a conditional update, safe across instances.
   */
  async claimDue(owner: string, now: Date, lockedUntil: Date, limit: number): Promise<OutboxRecord[]> {
    if (this.sql && this.statements) {
      const rows = await this.sql.query(this.statements.claim, [now, now, limit, owner, lockedUntil, now, now]);
      return rows.map((r) => toRecord(OUTBOX_ROW.map(r))).sort((a, b) => a.id - b.id);
    }
    const claimed: OutboxRecord[] = [];
    const blockedKeys = new Set<string>();
    // Page through the due rows, so that rows waiting behind an older row of their ordering key do not hide the others.
    let afterId = 0;
    while (claimed.length < limit) {
      const candidates = await this.db.outboxMessage.findMany({
        where: {
          id: { gt: afterId },
          status: 'pending',
          nextAttemptAt: { lte: now },
          OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
        },
        orderBy: { id: 'asc' },
        take: limit * 4,
      });
      if (candidates.length === 0) break;
      afterId = candidates[candidates.length - 1]!.id;
      for (const row of candidates) {
        if (claimed.length >= limit) break;
        if (row.orderingKey) {
          if (blockedKeys.has(row.orderingKey)) continue;
          blockedKeys.add(row.orderingKey);
          const older = await this.db.outboxMessage.count({ where: { orderingKey: row.orderingKey, status: 'pending', id: { lt: row.id } } });
          if (older > 0) continue;
        }
        const res = await this.db.outboxMessage.updateMany({
          where: { id: row.id, status: 'pending', OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
          data: { lockOwner: owner, lockedUntil, updatedAt: now },
        });
        if (res.count === 1) claimed.push(toRecord({ ...row, lockOwner: owner, lockedUntil, updatedAt: now }));
      }
    }
    return claimed;
  }

  /**
   * Marks a claimed row delivered, with what was posted; false when the claim was lost meanwhile.
   * @remarks `posted.alsoWrite` is made whether or not the claim was lost (it records what Teams accepted, as a
   * handler's own write after its send would); when it changes no row the row stays pending and this throws.
   * PostgreSQL: both in one statement (data-modifying CTEs), with the marks of other deliveries under way when the
   * write has a key; SQLite: both in one group-commit entry.
   */
  async markSent(id: number, owner: string, now: Date, posted: SentRecord = {}): Promise<boolean> {
    const also = posted.alsoWrite;
    const params = [now, now, posted.activityId ?? null, posted.conversationId ?? null, id, owner];
    if (this.marks) {
      // With the marks of other deliveries under way; a write without a key goes alone, in the same statement form.
      const mark: Mark = { id, params, also };
      const { written, sent } = also !== undefined && also.key === undefined ? await this.marks.alone(mark) : await this.marks.add(mark);
      if (also && written !== 1) throw new Error(also.missing);
      return sent === 1;
    }
    if (this.sql && this.statements) {
      if (!also) return (await this.sql.execute(this.statements.markSent, params)) === 1;
      let written: number;
      let sent: number;
      if (this.sql.together) {
        // Only statements inside `together` (its function may run twice).
        const markSent = this.statements.markSent;
        [written, sent] = await this.sql.together((s) => {
          const n = s.execute(also.sql, also.params);
          return [n, n === 1 ? s.execute(markSent, params) : 0];
        });
      } else {
        written = await this.sql.execute(also.sql, also.params);
        sent = written === 1 ? await this.sql.execute(this.statements.markSent, params) : 0;
      }
      if (written !== 1) throw new Error(also.missing);
      return sent === 1;
    }
    if (also && (await also.viaPrisma(this.db)) !== 1) throw new Error(also.missing);
    const res = await this.db.outboxMessage.updateMany({
      where: { id, lockOwner: owner, status: 'pending' },
      data: {
        status: 'sent',
        attempts: { increment: 1 },
        sentAt: now,
        updatedAt: now,
        lockOwner: null,
        lockedUntil: null,
        lastError: null,
        activityId: posted.activityId ?? null,
        conversationId: posted.conversationId ?? null,
      },
    });
    return res.count === 1;
  }

  /**
   * Makes a {@link SentWrite} alone: for a delivery that completed after the dispatcher had given up waiting for it
   * (its row is retried meanwhile), so that what Teams accepted is still recorded.
   */
  async applySentWrite(write: SentWrite): Promise<void> {
    await applySentWrite(this.sql, this.db, write);
  }

  /** Records a failed attempt and when to try again. */
  async markRetry(id: number, owner: string, now: Date, nextAttemptAt: Date, lastError: string): Promise<boolean> {
    if (this.sql && this.statements) {
      return (await this.sql.execute(this.statements.markRetry, [nextAttemptAt, lastError, now, id, owner])) === 1;
    }
    const res = await this.db.outboxMessage.updateMany({
      where: { id, lockOwner: owner, status: 'pending' },
      data: { attempts: { increment: 1 }, nextAttemptAt, lastError, updatedAt: now, lockOwner: null, lockedUntil: null },
    });
    return res.count === 1;
  }

  /** Gives up on a row: it stays visible as failed (health details) until requeued. */
  async markFailed(id: number, owner: string, now: Date, lastError: string): Promise<boolean> {
    if (this.sql && this.statements) {
      return (await this.sql.execute(this.statements.markFailed, [lastError, now, id, owner])) === 1;
    }
    const res = await this.db.outboxMessage.updateMany({
      where: { id, lockOwner: owner, status: 'pending' },
      data: { status: 'failed', attempts: { increment: 1 }, lastError, updatedAt: now, lockOwner: null, lockedUntil: null },
    });
    return res.count === 1;
  }

  /** Puts failed and waiting rows for a team's channels back to due now (e.g. when the bot is installed in the team). */
  async requeueTeam(teamId: string, now: Date): Promise<number> {
    const exact = targetKey({ type: 'channel', teamId });
    const res = await this.db.outboxMessage.updateMany({
      where: { OR: [{ target: exact }, { target: { startsWith: `${exact.slice(0, -1)},` } }], status: { in: ['pending', 'failed'] } },
      data: { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now },
    });
    return res.count;
  }

  /** Puts failed rows of a kind back in the queue, optionally only those that failed with one of `lastErrors`. */
  async requeueFailed(kind: string, now: Date, lastErrors?: readonly string[]): Promise<number> {
    const res = await this.db.outboxMessage.updateMany({
      where: { kind, status: 'failed', ...(lastErrors ? { lastError: { in: [...lastErrors] } } : {}) },
      data: { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now },
    });
    return res.count;
  }

  /** Whether any row (in any status) carries this ordering key. */
  async hasOrderingKey(orderingKey: string): Promise<boolean> {
    return (await this.db.outboxMessage.count({ where: { orderingKey } })) > 0;
  }

  /** Puts one failed row back in the queue. */
  async requeue(id: number, now: Date): Promise<boolean> {
    const res = await this.db.outboxMessage.updateMany({
      where: { id, status: 'failed' },
      data: { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now },
    });
    return res.count === 1;
  }

  /** Counts for /healthz, with the ten oldest failures (no payloads: they may name people). */
  async health(): Promise<OutboxHealth> {
    if (this.sql && this.statements) {
      const [counts] = await this.sql.query<{ pending: number; failed: number; oldestPendingAt: unknown }>(this.statements.healthCounts);
      const failures = await this.sql.query<{ id: number; kind: string; attempts: number; lastError: string | null; updatedAt: unknown }>(this.statements.healthFailures);
      return {
        pending: Number(counts?.pending ?? 0),
        failed: Number(counts?.failed ?? 0),
        oldestPendingAt: readSqlDate(counts?.oldestPendingAt)?.toISOString() ?? null,
        failures: failures.map((f) => ({ id: Number(f.id), kind: f.kind, attempts: Number(f.attempts), lastError: f.lastError, at: readSqlDate(f.updatedAt)!.toISOString() })),
      };
    }
    const [pending, failed, oldestPending, failures] = await Promise.all([
      this.db.outboxMessage.count({ where: { status: 'pending' } }),
      this.db.outboxMessage.count({ where: { status: 'failed' } }),
      this.db.outboxMessage.findFirst({ where: { status: 'pending' }, orderBy: { createdAt: 'asc' }, select: { createdAt: true } }),
      this.db.outboxMessage.findMany({
        where: { status: 'failed' },
        orderBy: { id: 'asc' },
        take: 10,
        select: { id: true, kind: true, attempts: true, lastError: true, updatedAt: true },
      }),
    ]);
    return {
      pending,
      failed,
      oldestPendingAt: oldestPending?.createdAt.toISOString() ?? null,
      failures: failures.map((f) => ({ id: f.id, kind: f.kind, attempts: f.attempts, lastError: f.lastError, at: f.updatedAt.toISOString() })),
    };
  }
}
