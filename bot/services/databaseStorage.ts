import type { Storage, StoreItems } from 'botbuilder';
import { BotStateRepository, type StateRow } from '../../data/botStateRepository';
import type { DbTx } from '../../data/db';

interface PendingRead {
  keys: string[];
  resolve: (rows: Map<string, StateRow>) => void;
  reject: (err: unknown) => void;
}

/**
 * Bot Framework {@link Storage} on our database, with eTag optimistic concurrency.
 * @remarks Semantics follow botbuilder's storages: unknown keys read as absent, an item written with a
 * stale eTag is rejected, `*` (or no eTag) overwrites, and every write gives the item a new eTag.
 * Reads issued in the same tick (a turn loads its conversation and user state together, and concurrent turns
 * load theirs) are answered by one query: each caller still gets only the keys it asked for.
 */
export class DatabaseStorage implements Storage {
  private readonly repo: BotStateRepository;
  private pending: PendingRead[] = [];

  constructor(db: DbTx) {
    this.repo = new BotStateRepository(db);
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when reading');
    if (keys.length === 0) return {};
    const rows = await new Promise<Map<string, StateRow>>((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => void this.flushReads());
      this.pending.push({ keys, resolve, reject });
    });
    const items: StoreItems = {};
    for (const key of keys) {
      const row = rows.get(key);
      if (row) items[key] = { ...(JSON.parse(row.data) as object), eTag: row.etag };
    }
    return items;
  }

  /** Runs the reads gathered during this tick as one query. */
  private async flushReads(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const rows = await this.repo.readMany([...new Set(batch.flatMap((r) => r.keys))]);
      const byKey = new Map(rows.map((row) => [row.key, row]));
      for (const read of batch) read.resolve(byKey);
    } catch (err) {
      for (const read of batch) read.reject(err);
    }
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes || typeof changes !== 'object') throw new TypeError('Changes are required when writing');
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...rest } = (item ?? {}) as { eTag?: string; [k: string]: unknown };
      await this.repo.write(key, JSON.stringify(rest), eTag);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when deleting');
    await this.repo.deleteMany(keys);
  }
}
