import type { DbTx } from './db';
import { sqlRunnerOf, type SqlRunner } from './sql';

/** Claims a delivery key (parameters: key, now); changes one row when it was not claimed before. */
export const CLAIM_SQL = 'INSERT INTO "processed_activities" ("key", "created_at") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING';

/**
 * Remembers which incoming activities were handled, so a duplicate delivery is processed once.
 * @remarks Claimed on every turn: plain SQL ({@link SqlRunner}) on a client opened by `openDatabase`, Prisma otherwise.
 */
export class ProcessedActivityRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: DbTx) {
    this.sql = sqlRunnerOf(db);
  }

  /** Records the key; returns false when it was already recorded (a duplicate delivery). */
  async claim(key: string, now = new Date()): Promise<boolean> {
    if (this.sql) {
      const inserted = await this.sql.execute(CLAIM_SQL, [key, now]);
      return inserted === 1;
    }
    try {
      await this.db.processedActivity.create({ data: { key, createdAt: now } });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') return false;
      throw err;
    }
  }

  /** Forgets a key, so that a redelivery of a turn that failed is processed again. */
  async release(key: string): Promise<void> {
    if (this.sql) {
      await this.sql.execute('DELETE FROM "processed_activities" WHERE "key" = ?', [key]);
      return;
    }
    await this.db.processedActivity.deleteMany({ where: { key } });
  }

  /** Deletes keys older than the cutoff (duplicates arrive within minutes). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    const res = await this.db.processedActivity.deleteMany({ where: { createdAt: { lt: cutoff } } });
    return res.count;
  }
}
