import type { DatabaseProvider } from './db';

/** A value bound to a statement parameter. */
export type SqlValue = string | number | boolean | null | Date | SqlArray;

/**
 * PostgreSQL only: an array bound to one parameter (`?::TEXT[]`, read with `unnest` or `= ANY`), e.g. one element per
 * item of a batch (data/statementBatcher.ts). Dates in it are stored as single dates are. SQLite has no array type: its
 * runner refuses one.
 */
export type SqlArray = readonly (string | number | boolean | null | Date)[];

/**
 * Plain SQL on the database's own driver, for the few statements every turn runs (bot state, duplicate
 * delivery, conversation references).
 * @remarks Prisma costs 0.2–0.4 ms of CPU per query on top of the driver (query compiler and interpreter,
 * result mapping); these statements are simple enough to write once for both providers. Placeholders are `?`;
 * dates are stored as Prisma stores them, so Prisma reads them back unchanged. Never outside data/.
 */
export interface SqlRunner {
  readonly provider: DatabaseProvider;
  /** Runs a statement and returns its rows as objects keyed by column name. */
  query<T extends Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it inserted, updated or deleted. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` in one transaction: committed when `fn` resolves, rolled back when it throws (the error is rethrown).
   * @remarks `tx` runs its statements in that transaction; use it, not the outer runner (nor Prisma), inside `fn`:
   * on SQLite a statement outside the transaction waits for it to end, so from inside `fn` it would wait for itself
   * and fails after the connection's wait limit (10 s). SQLite: `BEGIN IMMEDIATE` on the one connection, which every
   * other statement, Prisma's included, waits for: keep `fn` short and free of network calls. PostgreSQL: one client of the pool, released after. `tx.transaction`
   * throws: nested transactions are not supported.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * SQLite only (undefined elsewhere): runs `fn`'s statements one after the other, synchronously, as one entry of the
   * runner's next group commit — a few statements that belong together cost one trip through the queue instead of
   * one each, and `fn` can decide on a statement from the result of the one before.
   * @remarks Each statement keeps its own outcome, as in autocommit: one that fails undoes only itself, and `fn`'s
   * error rejects the returned promise after what ran before it is kept. Not atomic: use {@link transaction} for that.
   * A statement error that ends the batch's whole transaction fails the entry even if `fn` catches it, and the batch
   * runs again one statement (or entry) at a time, so `fn` may run twice: it must only run statements.
   */
  together?<T>(fn: (sql: SyncSql) => T): Promise<T>;
}

/** Statements run synchronously, inside {@link SqlRunner.together}. */
export interface SyncSql {
  query<T extends Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): T[];
  execute(sql: string, params?: readonly SqlValue[]): number;
}

const runners = new WeakMap<object, SqlRunner>();

/** Remembers the runner of a Prisma client opened by `openDatabase`. */
export function registerSqlRunner(prisma: object, runner: SqlRunner): void {
  runners.set(prisma, runner);
}

/**
 * The plain-SQL runner of a client opened by `openDatabase`.
 * @returns undefined for anything else (an interactive transaction, an extended client): use Prisma then.
 */
export function sqlRunnerOf(prisma: object): SqlRunner | undefined {
  return runners.get(prisma);
}

/** `?` placeholders → PostgreSQL's `$1, $2…` (our statements never hold a `?` inside a literal). */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A date as Prisma stores it: SQLite TEXT `2026-01-31T12:00:00.000+00:00`; PostgreSQL TIMESTAMP(3) in UTC. */
export function sqlDate(provider: DatabaseProvider, date: Date): string {
  const iso = date.toISOString();
  return provider === 'sqlite' ? `${iso.slice(0, -1)}+00:00` : iso.slice(0, -1);
}

/** `?, ?, ?` for a list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * A date as the plain-SQL runner returns it (null stays null): the TEXT Prisma wrote on SQLite, a Date on PostgreSQL
 * (the runner reads TIMESTAMP as UTC, see data/db.ts).
 */
export function readSqlDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value as string | number);
  if (Number.isNaN(date.getTime())) throw new Error('unreadable date from the database');
  return date;
}

/**
 * A unique constraint broken: as Prisma reports it (P2002), or as the drivers do through the plain-SQL runner
 * (PostgreSQL's 23505, better-sqlite3's SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY or its message).
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === 'P2002' ||
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (typeof message === 'string' && message.includes('UNIQUE constraint failed'))
  );
}
