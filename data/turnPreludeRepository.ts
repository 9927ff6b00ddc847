import { selectStateSql, type StateRow } from './botStateRepository';
import { CLAIM_SQL } from './processedActivityRepository';
import { CONSUME_SQL, consumeUpdate, toCount, type RateLimitCount } from './rateLimitRepository';
import type { SqlRunner } from './sql';
import { StatementBatcher } from './statementBatcher';

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
  ord: number;
  claimed: boolean;
  points: number | null;
  expire: unknown;
  key: string | null;
  data: string | null;
  etag: string | null;
}

/** How many turns' preludes one PostgreSQL statement carries at most. */
const MAX_BATCH = 64;

/**
 * PostgreSQL: the preludes of several turns in one statement. Parameters are arrays, one element per turn (its claim
 * key, time, counter key, points and new expiry; nulls when not counted; `ord` is its place, from 1), then the state
 * keys to read with the place of their turn. One row per turn and state item found (a turn without any: one row, null
 * key), with the turn's outcome on each. The claim and counter keys of one batch are distinct (see
 * {@link StatementBatcher}); rows are written in key order, so two instances' batches take their row locks in the same
 * order and cannot deadlock.
 */
const BATCH_SQL = `WITH "input" AS (
    SELECT * FROM unnest(?::TEXT[], ?::TIMESTAMP(3)[], ?::TEXT[], ?::INTEGER[], ?::TIMESTAMP(3)[]) WITH ORDINALITY
      AS t("claim_key", "now", "count_key", "points", "expire", "ord")
  ), "claim" AS (
    INSERT INTO "processed_activities" ("key", "created_at")
      SELECT "claim_key", "now" FROM "input" ORDER BY "claim_key"
    ON CONFLICT ("key") DO NOTHING RETURNING "key"
  ), "counted" AS (
    INSERT INTO "rate_limits" ("key", "points", "expire")
      SELECT "count_key", "points", "expire" FROM "input"
      WHERE "count_key" IS NOT NULL AND "claim_key" IN (SELECT "key" FROM "claim") ORDER BY "count_key"
    ${consumeUpdate('(SELECT "now" FROM "input" WHERE "input"."count_key" = excluded."key")')}
    RETURNING "key", "points", "expire"
  )
  SELECT "input"."ord", "input"."claim_key" IN (SELECT "key" FROM "claim") AS "claimed", "counted"."points", "counted"."expire",
    "s"."key", "s"."data", "s"."etag"
  FROM "input"
  LEFT JOIN "counted" ON "counted"."key" = "input"."count_key"
  LEFT JOIN (
    SELECT "wanted"."ord", "b"."key", "b"."data", "b"."etag"
    FROM unnest(?::INTEGER[], ?::TEXT[]) AS "wanted"("ord", "key") JOIN "bot_state_items" AS "b" ON "b"."key" = "wanted"."key"
  ) AS "s" ON "s"."ord" = "input"."ord"`;

/**
 * The statements every turn starts with — claim the delivery, count the message, read the state — sent together.
 * @remarks PostgreSQL: one statement with data-modifying CTEs (the claim's INSERT, the counter's upsert run only when
 * the claim inserted, and the state read joined to them), so one round trip instead of three, and the preludes of
 * turns that arrive while one is under way go together in the next statement ({@link StatementBatcher}): at 50
 * concurrent conversations, one statement for several turns. One statement is atomic: each turn's outcome is the one
 * the three statements would have had one after the other (a failed statement fails every turn in it; none of their
 * claims is kept). Each statement sent costs a socket write, a wake-up of a server process that shares the bot's cores,
 * an execution and commit there, and a reply to parse. SQLite has no data-modifying CTEs: the three statements run back
 * to back as one entry of the runner's group commit ({@link SqlRunner.together}), the count only when the claim
 * inserted; one trip through the queue and one share of a commit instead of three.
 */
export class TurnPreludeRepository {
  /** PostgreSQL: the preludes of concurrent turns, sent together. */
  private readonly batcher?: StatementBatcher<TurnPreludeInput, TurnPreludeResult>;

  constructor(private readonly sql: SqlRunner) {
    if (sql.provider === 'postgresql') {
      this.batcher = new StatementBatcher((inputs) => this.runBatch(inputs), {
        keysOf: (input) => (input.count ? [`claim:${input.claimKey}`, `count:${input.count.key}`] : [`claim:${input.claimKey}`]),
        maxBatch: MAX_BATCH,
        // A lost reply may hide a committed claim: run alone again, the turn would be taken for a redelivery and dropped.
        retryAlone: false,
      });
    } else if (!sql.together) {
      throw new Error('the turn prelude needs PostgreSQL or a runner that runs statements together');
    }
  }

  async run(input: TurnPreludeInput): Promise<TurnPreludeResult> {
    if (!this.batcher) return this.runTogether(input);
    return this.batcher.add(input);
  }

  /** PostgreSQL: the preludes of a batch (claim and count keys distinct) in one statement. */
  private async runBatch(inputs: readonly TurnPreludeInput[]): Promise<TurnPreludeResult[]> {
    const stateOrds: number[] = [];
    const stateKeys: string[] = [];
    inputs.forEach((input, i) => {
      for (const key of input.stateKeys) {
        stateOrds.push(i + 1);
        stateKeys.push(key);
      }
    });
    const rows = await this.sql.query<PreludeRow>(BATCH_SQL, [
      inputs.map((input) => input.claimKey),
      inputs.map((input) => input.now),
      inputs.map((input) => input.count?.key ?? null),
      inputs.map((input) => input.count?.points ?? null),
      inputs.map((input) => input.count?.expire ?? null),
      stateOrds,
      stateKeys,
    ]);
    const results: TurnPreludeResult[] = inputs.map(() => ({ claimed: false, count: null, rows: [] }));
    const seen = inputs.map(() => false);
    for (const row of rows) {
      const i = Number(row.ord) - 1;
      const result = results[i];
      if (!result) throw new Error('turn prelude: a row of no input');
      if (!seen[i]) {
        seen[i] = true;
        result.claimed = row.claimed === true;
        result.count = row.points === null || row.points === undefined ? null : toCount({ points: row.points, expire: row.expire });
      }
      if (row.key !== null) result.rows.push({ key: row.key, data: row.data!, etag: row.etag! });
    }
    if (seen.includes(false)) throw new Error('turn prelude: no row returned for an input');
    return results;
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
}
