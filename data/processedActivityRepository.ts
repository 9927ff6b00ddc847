import type { DbTx } from './db';

/** Remembers which incoming activities were handled, so a duplicate delivery is processed once. */
export class ProcessedActivityRepository {
  constructor(private readonly db: DbTx) {}

  /** Records the key; returns false when it was already recorded (a duplicate delivery). */
  async claim(key: string, now = new Date()): Promise<boolean> {
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
    await this.db.processedActivity.deleteMany({ where: { key } });
  }

  /** Deletes keys older than the cutoff (duplicates arrive within minutes). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    const res = await this.db.processedActivity.deleteMany({ where: { createdAt: { lt: cutoff } } });
    return res.count;
  }
}
