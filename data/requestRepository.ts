import { AccessLogRepository, accessLogInsert, type NewAccessLogEntry } from './accessLogRepository';
import type { Db, DbTx } from './db';
import { OutboxRepository, requestOutboxInsert, requestOutboxMessage, requestOutboxParams, type RequestOutboxMessage, type SentWrite } from './outboxRepository';
import { rowMapper } from './rowMapping';
import { isUniqueViolation, placeholders, sqlRunnerOf, type SqlArray, type SqlRunner, type SqlValue } from './sql';
import type { TxClient } from './tx';
import { StatementBatcher } from './statementBatcher';

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

/**
 * What a filing writes besides the request and its first event, all in its transaction.
 * @remarks `outbox` and `accessLog` need nothing of the new request but its id: on PostgreSQL they are written by the
 * filing's own statement, which then needs no transaction around it (one statement instead of BEGIN, the filing, the
 * outbox row, COMMIT and the access-log row). `inTransaction` is code: given, the filing runs in a transaction again.
 */
export interface FilingWrites {
  /** Outbox messages about the new request. */
  outbox?: readonly RequestOutboxMessage[];
  /** The filing's access-log row (its request id is the new request's). */
  accessLog?: Omit<NewAccessLogEntry, 'requestId'>;
  /** Anything else, after the request, in the filing transaction. */
  inTransaction?: (tx: TxClient, request: RequestRecord) => Promise<void>;
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

/** Requests read with plain SQL, as Prisma would return them. */
const REQUEST_ROW = rowMapper<RequestRecord>({
  id: ['id', 'int', false],
  reference: ['reference', 'string', false],
  kind: ['kind', 'string', false],
  status: ['status', 'string', false],
  requesterRole: ['requester_role', 'string', false],
  requesterUserId: ['requester_user_id', 'string', false],
  requesterAadObjectId: ['requester_aad_object_id', 'string', true],
  requesterName: ['requester_name', 'string', true],
  requesterEmail: ['requester_email', 'string', true],
  requesterConversationId: ['requester_conversation_id', 'string', false],
  locale: ['locale', 'string', false],
  lastName: ['last_name', 'string', true],
  firstName: ['first_name', 'string', true],
  practiceLocation: ['practice_location', 'string', true],
  email: ['email', 'string', true],
  ramqUserCode: ['ramq_user_code', 'string', true],
  employeeNumber: ['employee_number', 'string', true],
  jobTitle: ['job_title', 'string', true],
  supervisorAuthorized: ['supervisor_authorized', 'bool', true],
  authorizedBy: ['authorized_by', 'string', true],
  idempotencyKey: ['idempotency_key', 'string', false],
  assigneeId: ['assignee_id', 'string', true],
  assigneeName: ['assignee_name', 'string', true],
  codeExpiresAt: ['code_expires_at', 'date', true],
  registrationDoneAt: ['registration_done_at', 'date', true],
  rejectionReason: ['rejection_reason', 'string', true],
  managerCardActivityId: ['manager_card_activity_id', 'string', true],
  managerCardConversationId: ['manager_card_conversation_id', 'string', true],
  requesterUnreachable: ['requester_unreachable', 'bool', false],
  nextDueAt: ['next_due_at', 'date', true],
  remindersSent: ['reminders_sent', 'int', false],
  version: ['version', 'int', false],
  createdAt: ['created_at', 'date', false],
  updatedAt: ['updated_at', 'date', false],
  closedAt: ['closed_at', 'date', true],
  erasedAt: ['erased_at', 'date', true],
});

const EVENT_ROW = rowMapper<RequestEventRecord>({
  id: ['id', 'int', false],
  requestId: ['request_id', 'int', false],
  action: ['action', 'string', false],
  fromStatus: ['from_status', 'string', true],
  toStatus: ['to_status', 'string', true],
  actorId: ['actor_id', 'string', false],
  actorName: ['actor_name', 'string', true],
  reason: ['reason', 'string', true],
  at: ['at', 'date', false],
});

/**
 * What a filing writes after the reference, column by column, in order: the column, its PostgreSQL type (the filing's
 * statement takes each column as a typed parameter) and its value. The id and defaults come from the database, the
 * reference from the counter.
 */
const FILED: readonly (readonly [column: string, pgType: string, value: (input: NewRequest, now: Date) => SqlArray[number]])[] = [
  ['kind', 'TEXT', (r) => r.kind],
  ['status', 'TEXT', () => 'submitted'],
  ['requester_role', 'TEXT', (r) => r.requesterRole],
  ['requester_user_id', 'TEXT', (r) => r.requesterUserId],
  ['requester_aad_object_id', 'TEXT', (r) => r.requesterAadObjectId ?? null],
  ['requester_name', 'TEXT', (r) => r.requesterName ?? null],
  ['requester_email', 'TEXT', (r) => r.requesterEmail ?? null],
  ['requester_conversation_id', 'TEXT', (r) => r.requesterConversationId],
  ['locale', 'TEXT', (r) => r.locale],
  ['last_name', 'TEXT', (r) => r.lastName],
  ['first_name', 'TEXT', (r) => r.firstName],
  ['practice_location', 'TEXT', (r) => r.practiceLocation ?? null],
  ['email', 'TEXT', (r) => r.email],
  ['ramq_user_code', 'TEXT', (r) => r.ramqUserCode ?? null],
  ['employee_number', 'TEXT', (r) => r.employeeNumber ?? null],
  ['job_title', 'TEXT', (r) => r.jobTitle ?? null],
  ['supervisor_authorized', 'BOOLEAN', (r) => r.supervisorAuthorized ?? null],
  ['authorized_by', 'TEXT', (r) => r.authorizedBy ?? null],
  ['idempotency_key', 'TEXT', (r) => r.idempotencyKey],
  ['requester_unreachable', 'BOOLEAN', () => false],
  ['reminders_sent', 'INTEGER', () => 0],
  ['version', 'INTEGER', () => 1],
  ['created_at', 'TIMESTAMP(3)', (_, now) => now],
  ['updated_at', 'TIMESTAMP(3)', (_, now) => now],
];
/** Columns a filing writes, in order: the reference, then {@link FILED}'s. */
const FILED_COLUMNS = ['reference', ...FILED.map(([column]) => column)];
const INSERT_REQUEST = `INSERT INTO "access_requests" (${FILED_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${placeholders(FILED_COLUMNS.length)}) RETURNING ${REQUEST_ROW.columns}`;
const NEXT_REFERENCE = `INSERT INTO "reference_counters" ("year", "last") VALUES (?, 1) ON CONFLICT ("year") DO UPDATE SET "last" = "reference_counters"."last" + 1 RETURNING "last"`;
const EVENT_COLUMNS = `"request_id", "action", "from_status", "to_status", "actor_id", "actor_name", "reason", "at"`;
const INSERT_EVENT = `INSERT INTO "request_events" (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
/**
 * The reference in SQL, as `formatReference` (domain/intake/reference.ts) formats it: `DMA-<year>-<n>`, n zero-padded
 * to 5 digits and longer when it needs more (`lpad` alone would cut it to 5).
 */
const referenceSql = (year: string, n: string) =>
  `'DMA-' || CAST(${year} AS TEXT) || '-' || lpad(CAST(${n} AS TEXT), GREATEST(5, length(CAST(${n} AS TEXT))), '0')`;
/** Numbers on which the filing's statement checks {@link referenceSql} against the formatter it is given. */
const REFERENCE_PROBES = [1, 99_999, 100_000] as const;
/** The access-log columns a filing's statement takes from its input, one element per filing. */
const LOG_INPUT = [
  ['log_actor_id', 'TEXT'],
  ['log_actor_aad_object_id', 'TEXT'],
  ['log_action', 'TEXT'],
  ['log_at', 'TIMESTAMP(3)'],
] as const;

/**
 * PostgreSQL: filings of one year in one statement: the yearly numbers, the requests, their `filed` events and what
 * their writes describe (outbox rows, the access-log row), as data-modifying CTEs, each run once; one statement is
 * atomic. Parameters: one array per filed column after the reference (then per access-log column), one element per
 * filing (`single`: one value each instead, for one filing: PostgreSQL then plans it as it plans a plain INSERT,
 * where arrays of unknown length would have it plan each execution anew); the year; with `checked`, the probes and the year again; then each outbox message's
 * {@link requestOutboxParams} (the same messages for every filing). One row per filing, with its `reference_number`.
 * @remarks The counter moves once, by the number of filings, and the filings take its numbers in their order (the
 * requests' ids follow the same order). `checked`: the statement runs alone, without a transaction around it, so
 * nothing can be undone after it; the counter then counts only when the formatter given to `file` formats
 * {@link REFERENCE_PROBES} as {@link referenceSql} does (the smallest number, the last with 5 digits, the first with 6),
 * and without a number nothing else is written: a formatter that differs there files nothing and uses up no number.
 * Without `checked` the statement runs inside the filing transaction, and `fileInSql` checks the reference itself
 * before the commit. Either way the number comes back and the reference is checked against the formatter. The event's
 * actor, name and time are the request's `requester_user_id`, `requester_name` and `created_at`, the values filing
 * writes there; the outbox rows are due at `created_at`, the filing's time.
 */
function fileRequestsPostgres(outboxCount: number, accessLog: boolean, checked: boolean, single: boolean): string {
  const inputs: (readonly [string, string])[] = [
    ...FILED.map(([column, type]) => [`in_${column}`, type] as const),
    ...(accessLog ? LOG_INPUT : []),
  ];
  const probes = `NOT EXISTS (
      SELECT 1 FROM (VALUES ${REFERENCE_PROBES.map((n) => `(${n}, ?)`).join(', ')}) AS "probe" ("n", "reference")
      WHERE ${referenceSql('CAST(? AS INTEGER)', '"probe"."n"')} IS DISTINCT FROM "probe"."reference"
    )`;
  const number = '"counter"."last" - "batch"."size" + "input"."ord"';
  const ofInput = '"input" ON "input"."in_idempotency_key" = "filed"."idempotency_key"';
  const ctes = [
    single
      ? `"input" AS (SELECT ${inputs.map(([column, type]) => `CAST(? AS ${type}) AS "${column}"`).join(', ')}, 1 AS "ord")`
      : `"input" AS (
    SELECT * FROM unnest(${inputs.map(([, type]) => `?::${type}[]`).join(', ')}) WITH ORDINALITY
      AS "t" (${inputs.map(([column]) => `"${column}"`).join(', ')}, "ord")
  )`,
    `"batch" AS (SELECT CAST(count(*) AS INTEGER) AS "size" FROM "input")`,
    `"counter" AS (
    INSERT INTO "reference_counters" ("year", "last") SELECT CAST(? AS INTEGER), "size" FROM "batch"${checked ? ` WHERE ${probes}` : ''}
    ON CONFLICT ("year") DO UPDATE SET "last" = "reference_counters"."last" + excluded."last" RETURNING "year", "last"
  )`,
    `"filed" AS (
    INSERT INTO "access_requests" (${FILED_COLUMNS.map((c) => `"${c}"`).join(', ')})
    SELECT ${referenceSql('"counter"."year"', number)}, ${FILED.map(([column]) => `"input"."in_${column}"`).join(', ')}
    FROM "input" CROSS JOIN "counter" CROSS JOIN "batch" ORDER BY "input"."ord"
    RETURNING ${REQUEST_ROW.columns}
  )`,
    `"event" AS (
    INSERT INTO "request_events" (${EVENT_COLUMNS})
    SELECT "id", 'filed', NULL, 'submitted', "requester_user_id", "requester_name", NULL, "created_at" FROM "filed"
  )`,
    ...Array.from({ length: outboxCount }, (_, i) => `"outbox_${i}" AS (${requestOutboxInsert('"filed"', '"id"', '"created_at"', i > 0 ? `"outbox_${i - 1}"` : undefined)})`),
    ...(accessLog
      ? [
          `"logged" AS (${accessLogInsert(`"filed" JOIN ${ofInput}`, {
            actorId: '"input"."log_actor_id"',
            actorAadObjectId: '"input"."log_actor_aad_object_id"',
            requestId: '"filed"."id"',
            action: '"input"."log_action"',
            at: '"input"."log_at"',
          })})`,
        ]
      : []),
  ];
  return `WITH ${ctes.join(', ')}
  SELECT ${REQUEST_ROW.columns}, ${number} AS "reference_number"
  FROM "filed" JOIN ${ofInput} CROSS JOIN "counter" CROSS JOIN "batch"`;
}
const fileRequestStatements = new Map<string, string>();

/** A filing as its PostgreSQL statement needs it (batched, or alone in a transaction). */
interface Filing {
  input: NewRequest;
  now: Date;
  formatReference: (year: number, n: number) => string;
  writes: FilingWrites;
}

/**
 * Whether two filings can share a statement: the same year, reference formatter (its probes) and rows described by
 * the request's id (the same outbox messages, an access-log row or none), so the same text and scalar parameters.
 */
function sameStatement(a: Filing, b: Filing): boolean {
  return (
    a.now.getUTCFullYear() === b.now.getUTCFullYear() &&
    a.formatReference === b.formatReference &&
    !a.writes.accessLog === !b.writes.accessLog &&
    (a.writes.outbox === b.writes.outbox || JSON.stringify(a.writes.outbox ?? []) === JSON.stringify(b.writes.outbox ?? []))
  );
}

/** How many filings one PostgreSQL statement carries at most. */
const MAX_FILINGS = 32;

/** The values a filing writes after the reference ({@link FILED}), in order. */
function filedValues(input: NewRequest, now: Date): SqlArray[number][] {
  return FILED.map(([, , value]) => value(input, now));
}

/**
 * PostgreSQL: the statement and parameters of filings that share one ({@link sameStatement},
 * {@link fileRequestsPostgres}), and what makes each returned row a request: its own row (by idempotency key), its
 * reference checked against the formatter.
 */
function filingStatement(filings: readonly Filing[], checked: boolean) {
  const [first] = filings;
  const { outbox = [], accessLog } = first!.writes;
  const year = first!.now.getUTCFullYear();
  const single = filings.length === 1;
  const key = `${outbox.length}:${accessLog ? 1 : 0}:${checked ? 1 : 0}:${single ? 1 : 0}`;
  let text = fileRequestStatements.get(key);
  if (!text) fileRequestStatements.set(key, (text = fileRequestsPostgres(outbox.length, !!accessLog, checked, single)));
  const rows = filings.map((f) => filedValues(f.input, f.now));
  const logs = accessLog ? filings.map((f) => f.writes.accessLog!) : [];
  const logColumns = logs.map((l): SqlArray[number][] => [l.actorId, l.actorAadObjectId ?? null, l.action, l.at]);
  // Column by column: an array of the filings' values, or the value itself for one filing.
  const columns = (values: SqlArray[number][][], width: number): SqlValue[] =>
    Array.from({ length: width }, (_, c) => (single ? (values[0]![c] ?? null) : values.map((row) => row[c] ?? null)));
  const params: SqlValue[] = [
    ...columns(rows, FILED.length),
    ...(accessLog ? columns(logColumns, LOG_INPUT.length) : []),
    year,
    ...(checked ? [...REFERENCE_PROBES.map((n) => first!.formatReference(year, n)), year] : []),
    ...outbox.flatMap((message) => requestOutboxParams(message)),
  ];
  /** Each filing's request, or the error of a reference that differs from its formatter (the filing is stored then). */
  const filed = (result: Record<string, unknown>[]): (RequestRecord | Error)[] => {
    const byKey = new Map(result.map((row) => [row.idempotency_key, row]));
    return filings.map((f) => {
      const row = byKey.get(f.input.idempotencyKey) as { reference_number?: unknown } | undefined;
      // No row: the counter refused a formatter that differs from the SQL on the probes (nothing was written).
      const created = row ? REQUEST_ROW.map(row as Record<string, unknown>) : undefined;
      if (!created || created.reference !== f.formatReference(year, Number(row!.reference_number))) {
        return new Error('the reference formatted in SQL differs from formatReference');
      }
      return created;
    });
  };
  return { text, params, filed };
}

const SELECT_REQUEST = `SELECT ${REQUEST_ROW.columns} FROM "access_requests" WHERE "id" = ?`;
const SELECT_EVENTS = `SELECT ${EVENT_ROW.columns} FROM "request_events" WHERE "request_id" = ? ORDER BY "at" ASC, "id" ASC`;
/**
 * PostgreSQL: requests and their events in one statement (parameter: an array of ids; findWithEvents batches concurrent
 * callers), each request's events as a JSON array of rows {@link EVENT_ROW} reads.
 * @remarks JSON would write `at` (TIMESTAMP(3) without time zone, holding UTC) as `2026-03-02T15:04:05.678`, which
 * JavaScript reads in the process's zone: it comes as epoch milliseconds instead (EXTRACT gives the seconds of the
 * UTC value stored, to the millisecond), the same instant the runner's UTC parser gives `events()`.
 */
const SELECT_REQUESTS_WITH_EVENTS = `SELECT ${REQUEST_ROW.columns}, COALESCE((
    SELECT json_agg(json_build_object(
      'id', "e"."id", 'request_id', "e"."request_id", 'action', "e"."action", 'from_status', "e"."from_status",
      'to_status', "e"."to_status", 'actor_id', "e"."actor_id", 'actor_name', "e"."actor_name", 'reason', "e"."reason",
      'at', CAST(EXTRACT(EPOCH FROM "e"."at") * 1000 AS BIGINT)
    ) ORDER BY "e"."at" ASC, "e"."id" ASC)
    FROM "request_events" AS "e" WHERE "e"."request_id" = "r"."id"
  ), CAST('[]' AS JSON)) AS "events"
  FROM "access_requests" AS "r" WHERE "r"."id" = ANY(?::INTEGER[])`;
/** How many requests one PostgreSQL read of requests with their events carries at most. */
const MAX_READ_BATCH = 32;

/**
 * Remembers where a request's managers' card was posted, as `ManagerRequestRepository.setManagerCard` does (same
 * statement, same error when the request is missing), but made with the outbox row's `markSent`: one statement on
 * PostgreSQL for both. Not versioned, like setManagerCard: delivery bookkeeping must not make a manager's action fail.
 */
export function managerCardWrite(requestId: number, posted: { activityId: string; conversationId: string }): SentWrite {
  return {
    sql: 'UPDATE "access_requests" SET "manager_card_activity_id" = ?, "manager_card_conversation_id" = ? WHERE "id" = ?',
    params: [posted.activityId, posted.conversationId, requestId],
    viaPrisma: async (db: DbTx) =>
      (await db.accessRequest.updateMany({ where: { id: requestId }, data: { managerCardActivityId: posted.activityId, managerCardConversationId: posted.conversationId } })).count,
    missing: `no request ${requestId} to attach the managers' card to`,
    key: `access_requests:${requestId}`,
  };
}

/** A filing's {@link FilingWrites} after its request and event, in its transaction (SQLite, Prisma). */
async function writeAlong(tx: TxClient, request: RequestRecord, writes: FilingWrites, now: Date): Promise<void> {
  for (const message of writes.outbox ?? []) await OutboxRepository.enqueue(tx, requestOutboxMessage(message, request.id), now);
  if (writes.accessLog) await AccessLogRepository.append(tx, [{ ...writes.accessLog, requestId: request.id }]);
  await writes.inTransaction?.(tx, request);
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

/** Stores requests and their events; writes that can race carry the version column. */
export class RequestRepository {
  private readonly sql?: SqlRunner;
  /** PostgreSQL: {@link findWithEvents} of concurrent callers (the managers' cards being delivered) in one statement. */
  private readonly withEvents?: StatementBatcher<number, { request: RequestRecord; events: RequestEventRecord[] } | null>;
  /** PostgreSQL: the filings of concurrent confirmations (no transaction around them) in one statement. */
  private readonly filings?: StatementBatcher<Filing, RequestRecord | Error>;

  constructor(private readonly db: Db) {
    this.sql = sqlRunnerOf(db);
    const sql = this.sql;
    if (sql?.provider === 'postgresql') {
      this.withEvents = new StatementBatcher(
        async (ids) => {
          const rows = await sql.query<{ id: unknown; events: Record<string, unknown>[] }>(SELECT_REQUESTS_WITH_EVENTS, [[...new Set(ids)]]);
          const found = new Map(rows.map((row) => [Number(row.id), row]));
          return ids.map((id) => {
            const row = found.get(id);
            return row ? { request: REQUEST_ROW.map(row), events: row.events.map((event) => EVENT_ROW.map(event)) } : null;
          });
        },
        // Reads: the same request twice may share a statement, and a failed batch may run again one read at a time.
        { keysOf: () => [], maxBatch: MAX_READ_BATCH, retryAlone: true },
      );
      this.filings = new StatementBatcher(
        async (filings) => {
          const { text, params, filed } = filingStatement(filings, true);
          return filed(await sql.query(text, params));
        },
        {
          // One idempotency key per statement: a second confirmation of the same card waits for the first one's.
          keysOf: (filing) => [`filing:${filing.input.idempotencyKey}`],
          maxBatch: MAX_FILINGS,
          fits: (batch, filing) => batch.length === 0 || sameStatement(batch[0]!, filing),
          // A failed statement stored nothing, so each filing runs again alone: the one whose card was already filed (a
          // unique idempotency key) or whose row is refused fails alone, and the others are filed. Had the statement
          // been committed with its reply lost, running again finds each idempotency key taken: `file` then returns the
          // stored request, never a second one.
          retryAlone: true,
        },
      );
    }
  }

  /**
   * Files a request in one transaction: next yearly number, the request, its first event, and what `writes` adds (e.g.
   * the managers' card in the outbox, the filing's access-log row, anything else in its `inTransaction`).
   * @returns the stored request and `created: false` when the idempotency key had already filed one (nothing of
   * `writes` is written then).
   */
  async file(
    input: NewRequest,
    now: Date,
    formatReference: (year: number, n: number) => string,
    writes: FilingWrites = {},
  ): Promise<{ request: RequestRecord; created: boolean }> {
    // No look-up first: the unique idempotency key refuses a second filing, whose whole transaction (its yearly number
    // included) then rolls back, and the first filing is read below. A confirmation arrives once in the usual case, so
    // this saves a query per filing; a repeated one costs a rolled-back transaction instead.
    const year = now.getUTCFullYear();
    try {
      if (this.sql) return { request: await this.fileInSql(this.sql, input, now, formatReference, writes), created: true };
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
        await writeAlong(tx, created, writes, now);
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

  /**
   * {@link file} in plain SQL. SQLite: in one transaction, the same statements as through Prisma. PostgreSQL: the
   * counter, the request, its event, the outbox and access-log rows in one statement ({@link fileRequestsPostgres});
   * when there is no `inTransaction` to run, with no transaction around it and shared with the filings that arrive
   * meanwhile (a {@link StatementBatcher}: one statement, one move of the counter, for several confirmations), else
   * alone in a transaction followed by `inTransaction`.
   */
  private async fileInSql(
    sql: SqlRunner,
    input: NewRequest,
    now: Date,
    formatReference: (year: number, n: number) => string,
    writes: FilingWrites,
  ): Promise<RequestRecord> {
    if (sql.provider === 'postgresql') {
      const filing: Filing = { input, now, formatReference, writes };
      // Alone, the statement is committed when it returns: filings that arrive together share one (a reference that
      // differs from the formatter on a number past the probes can then only be reported: the filing fails loudly, the
      // request stays stored). One that differs on the probes (another prefix, width or padding) filed nothing.
      if (!writes.inTransaction) {
        const created = await this.filings!.add(filing);
        if (created instanceof Error) throw created;
        return created;
      }
      const { text, params, filed } = filingStatement([filing], false);
      return sql.transaction(async (tx) => {
        const [created] = filed(await tx.query(text, params));
        if (created instanceof Error) throw created;
        await writes.inTransaction?.(tx, created!);
        return created!;
      });
    }
    const year = now.getUTCFullYear();
    const values = filedValues(input, now);
    return sql.transaction(async (tx) => {
      const [counter] = await tx.query<{ last: number }>(NEXT_REFERENCE, [year]);
      const [row] = await tx.query(INSERT_REQUEST, [formatReference(year, Number(counter!.last)), ...values]);
      const created = REQUEST_ROW.map(row!);
      await tx.execute(INSERT_EVENT, [created.id, 'filed', null, 'submitted', input.requesterUserId, input.requesterName ?? null, null, now]);
      await writeAlong(tx, created, writes, now);
      return created;
    });
  }

  async findById(id: number): Promise<RequestRecord | null> {
    if (this.sql) {
      const [row] = await this.sql.query(SELECT_REQUEST, [id]);
      return row ? REQUEST_ROW.map(row) : null;
    }
    return this.db.accessRequest.findUnique({ where: { id } });
  }

  async findByIdempotencyKey(key: string): Promise<RequestRecord | null> {
    if (this.sql) {
      const [row] = await this.sql.query(`SELECT ${REQUEST_ROW.columns} FROM "access_requests" WHERE "idempotency_key" = ?`, [key]);
      return row ? REQUEST_ROW.map(row) : null;
    }
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
    alsoInTransaction?: (tx: TxClient, request: RequestRecord) => Promise<void>,
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
    if (this.sql) {
      const rows = await this.sql.query(SELECT_EVENTS, [requestId]);
      return rows.map((row) => EVENT_ROW.map(row));
    }
    return this.db.requestEvent.findMany({ where: { requestId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }

  /**
   * A request and its events, oldest first ({@link findById} and {@link events} together).
   * @returns null when there is no such request.
   * @remarks Each statement costs PostgreSQL's client a socket write, a read and pg's JavaScript (~0.25 ms of CPU):
   * there the events come in the request's row, and the reads of concurrent callers share one statement
   * ({@link StatementBatcher}). SQLite: the two reads in one entry of the group
   * commit ({@link SqlRunner.together}) when the runner has it.
   */
  async findWithEvents(id: number): Promise<{ request: RequestRecord; events: RequestEventRecord[] } | null> {
    const sql = this.sql;
    if (this.withEvents) return this.withEvents.add(id);
    if (sql?.together) {
      // Only statements inside `together` (its function may run twice); the rows are mapped after.
      const rows = await sql.together((s) => {
        const [row] = s.query(SELECT_REQUEST, [id]);
        return row ? { row, events: s.query(SELECT_EVENTS, [id]) } : null;
      });
      return rows ? { request: REQUEST_ROW.map(rows.row), events: rows.events.map((event) => EVENT_ROW.map(event)) } : null;
    }
    const request = await this.findById(id);
    return request ? { request, events: await this.events(id) } : null;
  }
}
