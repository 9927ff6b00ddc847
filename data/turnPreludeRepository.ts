import { selectStateSql, type StateRow } from './botStateRepository';
import { CLAIM_SQL } from './processedActivityRepository';
import { CONSUME_ON_CONFLICT, CONSUME_SQL, toCount, type RateLimitCount } from './rateLimitRepository';
import { placeholders, type SqlRunner } from './sql';

/** What every message or card action of a user starts with, known before the turn runs. */
export interface TurnPreludeInput {
  /** The duplicate-delivery key to claim (table `processed_activities`). */
  claimKey: string;
  /** The user's rate-limit counter to add to, only if the claim succeeded (a redelivery costs the user nothing). */
  count?: { key: string; points: number; expire: Date | null };
  /** Bot state items to read (the conversation's and the user's). */
  stateKeys: string[];
  now: Date;
}

export interface TurnPreludeResult {
  /** False when the key was already claimed: a duplicate delivery. */
  claimed: boolean;
  /** The counter after this message, when asked for and claimed; null otherwise. */
  count: RateLimitCount | null;
  /** The state items that exist. */
  rows: StateRow[];
  /**
   * SQLite only: the claim is committed, but counting or reading failed after it. Whoever needs that part gets this
   * error (the rate limiter falls back to its insurance, the turn fails and the duplicate-delivery middleware releases
   * the key, so Teams' retry is handled): a claimed message must not be lost to an error that followed the claim.
   */
  failed?: { count?: unknown; rows?: unknown };
}

interface PreludeRow extends Record<string, unknown> {
  claimed: number;
  points: number | null;
  expire: unknown;
  key: string | null;
  data: string | null;
  etag: string | null;
}

/**
 * The statements every turn starts with — claim the delivery, count the message, read the state — sent together.
 * @remarks PostgreSQL: one statement with data-modifying CTEs (the claim's INSERT, the counter's upsert run only when
 * the claim inserted, and the state read joined to them), so one round trip instead of three. One statement is
 * atomic: the outcome is the one the three statements would have had one after the other. Each statement sent costs a
 * socket write, a wake-up of a server process that shares the bot's cores and a reply to parse (~100 µs of the bot's
 * CPU each in a micro-benchmark). SQLite has no data-modifying CTEs: the three statements run back to back as one entry
 * of the runner's group commit ({@link SqlRunner.together}), the count only when the claim inserted; one trip through
 * the queue and one share of a commit instead of three.
 */
export class TurnPreludeRepository {
  private readonly statements = new Map<string, string>();

  constructor(private readonly sql: SqlRunner) {
    if (sql.provider !== 'postgresql' && !sql.together) throw new Error('the turn prelude needs PostgreSQL or a runner that runs statements together');
  }

  async run(input: TurnPreludeInput): Promise<TurnPreludeResult> {
    if (this.sql.provider !== 'postgresql') return this.runTogether(input);
    const params: (string | number | Date | null)[] = [input.claimKey, input.now];
    if (input.count) params.push(input.count.key, input.count.points, input.count.expire, input.now, input.now);
    params.push(...input.stateKeys);
    const rows = await this.sql.query<PreludeRow>(this.statement(input.count !== undefined, input.stateKeys.length), params);
    const first = rows[0];
    if (!first) throw new Error('turn prelude: no row returned');
    return {
      claimed: Number(first.claimed) === 1,
      count: first.points === null || first.points === undefined ? null : toCount({ points: first.points, expire: first.expire }),
      rows: rows.filter((r) => r.key !== null).map((r) => ({ key: r.key!, data: r.data!, etag: r.etag! })),
    };
  }

  /** SQLite: the same three statements, back to back in one entry of the group commit. */
  private runTogether(input: TurnPreludeInput): Promise<TurnPreludeResult> {
    return this.sql.together!((sql) => {
      // Each statement is committed on its own here (not one atomic statement as on PostgreSQL): once the claim is in,
      // a later failure is reported for its part only, never as a failed claim.
      const claimed = sql.execute(CLAIM_SQL, [input.claimKey, input.now]) === 1;
      const result: TurnPreludeResult = { claimed, count: null, rows: [] };
      const failed: NonNullable<TurnPreludeResult['failed']> = {};
      if (claimed && input.count) {
        try {
          const [row] = sql.query<{ points: number; expire: unknown }>(CONSUME_SQL, [input.count.key, input.count.points, input.count.expire, input.now, input.now]);
          result.count = toCount(row);
        } catch (err) {
          failed.count = err;
        }
      }
      if (input.stateKeys.length > 0) {
        try {
          const rows = sql.query<StateRow & Record<string, unknown>>(selectStateSql(input.stateKeys.length), input.stateKeys);
          result.rows = rows.map((r) => ({ key: r.key, data: r.data, etag: r.etag }));
        } catch (err) {
          failed.rows = err;
        }
      }
      if ('count' in failed || 'rows' in failed) result.failed = failed;
      return result;
    });
  }

  /** The statement for a shape (with or without counting, n state keys), built once. */
  private statement(withCount: boolean, stateKeys: number): string {
    const shape = `${withCount}:${stateKeys}`;
    let sql = this.statements.get(shape);
    if (sql) return sql;
    const ctes = [
      `"claim" AS (
        INSERT INTO "processed_activities" ("key", "created_at") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING RETURNING 1 AS "one")`,
    ];
    if (withCount) {
      // INSERT … SELECT: the parameters are typed by hand (a SELECT list does not take the target columns' types).
      ctes.push(`"counted" AS (
        INSERT INTO "rate_limits" ("key", "points", "expire")
          SELECT CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TIMESTAMP(3)) WHERE EXISTS (SELECT 1 FROM "claim")
        ${CONSUME_ON_CONFLICT})`);
    }
    const counted = withCount ? `LEFT JOIN "counted" ON TRUE` : `LEFT JOIN (SELECT NULL::INTEGER AS "points", NULL::TIMESTAMP(3) AS "expire") AS "counted" ON FALSE`;
    const state = stateKeys > 0 ? `LEFT JOIN "bot_state_items" AS "s" ON "s"."key" IN (${placeholders(stateKeys)})` : `LEFT JOIN (SELECT NULL::TEXT AS "key", NULL::TEXT AS "data", NULL::TEXT AS "etag") AS "s" ON FALSE`;
    sql = `WITH ${ctes.join(', ')}
      SELECT (SELECT COUNT(*) FROM "claim")::INTEGER AS "claimed", "counted"."points", "counted"."expire", "s"."key", "s"."data", "s"."etag"
      FROM (SELECT 1) AS "turn" ${counted} ${state}`;
    this.statements.set(shape, sql);
    return sql;
  }
}
