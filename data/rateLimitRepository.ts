import { readSqlDate, type SqlRunner } from './sql';

/** A counter of table `rate_limits`: points consumed in the current window, and when the window ends (null: never). */
export interface RateLimitCount {
  points: number;
  expire: Date | null;
}

const RETURNING = 'RETURNING "points", "expire"';

/**
 * The counting half of a consume, after the row to insert: an ended window (expire <= now) restarts with this message's
 * points and a new expiry; otherwise points add up and the expiry stays. Both SET expressions read the row as it was
 * before the update. `now` is the SQL that gives the time (a parameter, or the turn prelude's per-row expression);
 * no RETURNING.
 */
export function consumeUpdate(now: string): string {
  const ended = `("rate_limits"."expire" IS NOT NULL AND "rate_limits"."expire" <= ${now})`;
  return `ON CONFLICT ("key") DO UPDATE SET
        "points" = CASE WHEN ${ended} THEN excluded."points" ELSE "rate_limits"."points" + excluded."points" END,
        "expire" = CASE WHEN ${ended} THEN excluded."expire" ELSE "rate_limits"."expire" END`;
}

/** {@link consumeUpdate} with the time as a parameter (twice: now, now), returning the counter. */
const CONSUME_ON_CONFLICT = `${consumeUpdate('?')}
      ${RETURNING}`;

/** Adds points to a counter (parameters: key, points, new expiry, now, now) and returns it; see {@link RateLimitRepository.consume}. */
export const CONSUME_SQL = `INSERT INTO "rate_limits" ("key", "points", "expire") VALUES (?, ?, ?)
      ${CONSUME_ON_CONFLICT}`;

const SET_SQL = `INSERT INTO "rate_limits" ("key", "points", "expire") VALUES (?, ?, ?)
      ON CONFLICT ("key") DO UPDATE SET "points" = excluded."points", "expire" = excluded."expire"
      ${RETURNING}`;

const GET_SQL = `SELECT "points", "expire" FROM "rate_limits"
      WHERE "key" = ? AND ("expire" IS NULL OR "expire" > ?)`;

/**
 * The shared per-user counters (table `rate_limits`) in plain SQL: one statement per message.
 * @remarks Counted on every message; rate-limiter-flexible's Prisma store took two Prisma queries for it (a
 * DELETE of the expired row, then an upsert). Here one `INSERT … ON CONFLICT … DO UPDATE … RETURNING` (SQLite
 * ≥ 3.35, PostgreSQL) starts a new window when the stored one has ended and adds to it otherwise, atomically, so
 * concurrent messages on several instances are all counted. Expired rows are deleted by the retention sweep.
 */
export class RateLimitRepository {
  constructor(private readonly sql: SqlRunner) {}

  /**
   * Adds `points` to the key's window, or starts a new window ending at `newExpire` when there is none or it has ended.
   * @returns the counter after the change.
   */
  async consume(key: string, points: number, now: Date, newExpire: Date | null): Promise<RateLimitCount> {
    const [row] = await this.sql.query<{ points: number; expire: unknown }>(CONSUME_SQL, [key, points, newExpire, now, now]);
    return toCount(row);
  }

  /** Sets the key's points and expiry, whatever was stored. */
  async set(key: string, points: number, expire: Date | null): Promise<RateLimitCount> {
    const [row] = await this.sql.query<{ points: number; expire: unknown }>(SET_SQL, [key, points, expire]);
    return toCount(row);
  }

  /** The key's current window, or null when there is none (or it has ended). */
  async get(key: string, now: Date): Promise<RateLimitCount | null> {
    const [row] = await this.sql.query<{ points: number; expire: unknown }>(GET_SQL, [key, now]);
    return row ? toCount(row) : null;
  }

  /** Forgets the key; false when it was not stored. */
  async delete(key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM "rate_limits" WHERE "key" = ?', [key])) > 0;
  }
}

/** A counter as the database returns it (points may come back as a string from a bigint). */
export function toCount(row: { points: number; expire: unknown } | undefined): RateLimitCount {
  if (!row) throw new Error('rate_limits: the upsert returned no row');
  return { points: Number(row.points), expire: readSqlDate(row.expire) };
}
