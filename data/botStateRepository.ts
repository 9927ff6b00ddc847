import { randomUUID } from 'node:crypto';
import type { DbTx } from './db';
import { isUniqueViolation, placeholders, sqlRunnerOf, type SqlRunner, type SqlValue } from './sql';
import { StatementBatcher } from './statementBatcher';

/** A stored state item: its JSON document and current eTag. */
export interface StateRow {
  key: string;
  data: string;
  etag: string;
}

/** Thrown when a write carries an eTag that is no longer current. */
export class StateConflictError extends Error {
  override name = 'StateConflictError';
  constructor(public readonly key: string) {
    super('Storage: eTag conflict (the item changed since it was read)');
  }
}

/**
 * A statement that goes with a state item's write: in the same statement on PostgreSQL (a data-modifying CTE), in the
 * same group-commit entry on SQLite. An INSERT or UPDATE without RETURNING, `?` placeholders.
 */
export interface CompanionWrite {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  /**
   * The row it writes, when it is an overwrite (safe to run twice): then, on PostgreSQL, it may share a statement
   * with other turns' state writes and their companions (never with another companion of the same key). Without a
   * key it goes in a statement of its own with its item.
   */
  readonly key?: string;
}

/** Reads the state items of n keys (parameters: the keys). */
export function selectStateSql(n: number): string {
  return `SELECT "key", "data", "etag" FROM "bot_state_items" WHERE "key" IN (${placeholders(n)})`;
}

const UPSERT = `INSERT INTO "bot_state_items" ("key", "data", "etag", "updated_at") VALUES (?, ?, ?, ?)
  ON CONFLICT ("key") DO UPDATE SET "data" = excluded."data", "etag" = excluded."etag", "updated_at" = excluded."updated_at"`;
/** PostgreSQL: the overwrites of several items (keys distinct) in one statement; parameters are arrays, one element per item. */
const UPSERT_BATCH = `INSERT INTO "bot_state_items" ("key", "data", "etag", "updated_at")
    SELECT * FROM unnest(?::TEXT[], ?::TEXT[], ?::TEXT[], ?::TIMESTAMP(3)[]) AS t("key", "data", "etag", "updated_at") ORDER BY "key"
  ON CONFLICT ("key") DO UPDATE SET "data" = excluded."data", "etag" = excluded."etag", "updated_at" = excluded."updated_at"`;

/** How many items one PostgreSQL overwrite carries at most. */
const MAX_BATCH = 64;
/** How many companions one PostgreSQL overwrite carries at most (each count is its own statement text to prepare). */
const MAX_COMPANIONS = 8;

interface Overwrite {
  key: string;
  data: string;
  etag: string;
  updatedAt: Date;
  companion?: CompanionWrite;
}

/** The batched overwrite with its items' companions as data-modifying CTEs, and its parameters. */
function overwriteBatch(items: readonly Overwrite[]): { sql: string; params: SqlValue[] } {
  const ctes: string[] = [];
  const params: SqlValue[] = [];
  for (const item of items) {
    if (!item.companion) continue;
    ctes.push(`"companion_${ctes.length}" AS (${item.companion.sql})`);
    params.push(...item.companion.params);
  }
  params.push(
    items.map((i) => i.key),
    items.map((i) => i.data),
    items.map((i) => i.etag),
    items.map((i) => i.updatedAt),
  );
  return { sql: ctes.length > 0 ? `WITH ${ctes.join(', ')} ${UPSERT_BATCH}` : UPSERT_BATCH, params };
}

const UPDATE_IF_ETAG = `UPDATE "bot_state_items" SET "data" = ?, "etag" = ?, "updated_at" = ? WHERE "key" = ? AND "etag" = ?`;
const INSERT_IF_ABSENT = `INSERT INTO "bot_state_items" ("key", "data", "etag", "updated_at") VALUES (?, ?, ?, ?) ON CONFLICT ("key") DO NOTHING`;

/**
 * Reads, writes (with optimistic concurrency) and deletes bot state items.
 * @remarks Every turn reads and writes state: on a client opened by `openDatabase` this runs plain SQL
 * ({@link SqlRunner}); on anything else (e.g. an interactive transaction), the same operations through Prisma.
 */
export class BotStateRepository {
  private readonly sql?: SqlRunner;
  /**
   * PostgreSQL: overwrites (without a companion, or with one that has a key) made while a batch is under way go
   * together in the next statement ({@link StatementBatcher}): at 50 concurrent conversations, one statement for
   * several turns' state and first turns' conversation references.
   */
  private readonly overwrites?: StatementBatcher<Overwrite, void>;

  constructor(private readonly db: DbTx) {
    this.sql = sqlRunnerOf(db);
    if (this.sql?.provider === 'postgresql') {
      const sql = this.sql;
      this.overwrites = new StatementBatcher<Overwrite, void>(
        async (items) => {
          const batch = overwriteBatch(items);
          await sql.execute(batch.sql, batch.params);
          return items.map(() => undefined);
        },
        {
          keysOf: (item) => (item.companion?.key ? [item.key, item.companion.key] : [item.key]),
          maxBatch: MAX_BATCH,
          fits: (batch, item) => !item.companion || batch.filter((i) => i.companion).length < MAX_COMPANIONS,
          // An overwrite (and a companion with a key) can run twice: a failed batch runs again one item at a time.
          retryAlone: true,
        },
      );
    }
  }

  /** Whether {@link write} takes a {@link CompanionWrite}: on a client opened by `openDatabase` (plain SQL). */
  get takesCompanions(): boolean {
    return this.sql !== undefined;
  }

  /** Rows for the keys that exist; unknown keys are simply absent. */
  async readMany(keys: string[]): Promise<StateRow[]> {
    if (keys.length === 0) return [];
    if (this.sql) {
      return this.sql.query<StateRow & Record<string, unknown>>(selectStateSql(keys.length), keys);
    }
    return this.db.botStateItem.findMany({ where: { key: { in: keys } }, select: { key: true, data: true, etag: true } });
  }

  /**
   * Writes one item and returns its new eTag.
   * @remarks `expectedEtag` undefined or `*` overwrites; any other value must match the stored eTag
   * (or the item must not exist yet), otherwise a {@link StateConflictError} is thrown.
   */
  async write(key: string, data: string, expectedEtag?: string, companion?: CompanionWrite): Promise<string> {
    const etag = randomUUID();
    const updatedAt = new Date();
    if (this.sql) {
      if (expectedEtag === undefined || expectedEtag === '*') {
        await this.upsert(this.sql, { key, data, etag, updatedAt }, companion);
        return etag;
      }
      if (companion) {
        // The eTag-checked path takes up to two statements of its own: the companion goes first, on its own.
        await this.sql.execute(companion.sql, companion.params);
      }
      if ((await this.sql.execute(UPDATE_IF_ETAG, [data, etag, updatedAt, key, expectedEtag])) === 1) return etag;
      // Not updated: either someone else's eTag is there now, or the item does not exist (yet).
      if ((await this.sql.execute(INSERT_IF_ABSENT, [key, data, etag, updatedAt])) === 1) return etag;
      throw new StateConflictError(key);
    }
    if (companion) throw new Error('a companion write needs the plain-SQL runner (see takesCompanions)');
    if (expectedEtag === undefined || expectedEtag === '*') {
      await this.db.botStateItem.upsert({ where: { key }, create: { key, data, etag, updatedAt }, update: { data, etag, updatedAt } });
      return etag;
    }
    const updated = await this.db.botStateItem.updateMany({ where: { key, etag: expectedEtag }, data: { data, etag, updatedAt } });
    if (updated.count === 1) return etag;
    const exists = await this.db.botStateItem.findUnique({ where: { key }, select: { key: true } });
    if (exists) throw new StateConflictError(key);
    try {
      await this.db.botStateItem.create({ data: { key, data, etag, updatedAt } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new StateConflictError(key);
      throw err;
    }
    return etag;
  }

  /**
   * The overwrite, with its companion if any. PostgreSQL: one statement, the companion as a data-modifying CTE (run to
   * completion whether or not the upsert reads it), batched with other turns' overwrites unless the companion has no
   * key. SQLite: one group-commit entry (the state first, then the companion; each keeps its own outcome there, and
   * the companion's failure rejects the write).
   */
  private async upsert(sql: SqlRunner, item: Overwrite, companion?: CompanionWrite): Promise<void> {
    if (this.overwrites) {
      if (!companion) return this.overwrites.add(item);
      const overwrite = { ...item, companion };
      return companion.key !== undefined ? this.overwrites.add(overwrite) : this.overwrites.alone(overwrite);
    }
    const params = [item.key, item.data, item.etag, item.updatedAt];
    if (!companion) {
      await sql.execute(UPSERT, params);
    } else if (sql.together) {
      await sql.together((s) => {
        s.execute(UPSERT, params);
        s.execute(companion.sql, companion.params);
      });
    } else {
      await sql.execute(UPSERT, params);
      await sql.execute(companion.sql, companion.params);
    }
  }

  /** Deletes the items; unknown keys are ignored. */
  async deleteMany(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.sql) {
      await this.sql.execute(`DELETE FROM "bot_state_items" WHERE "key" IN (${placeholders(keys.length)})`, keys);
      return;
    }
    await this.db.botStateItem.deleteMany({ where: { key: { in: keys } } });
  }
}
