import type { Storage, StoreItems } from 'botbuilder';
import { BotStateRepository } from '../../data/botStateRepository';
import type { DbTx } from '../../data/db';

/**
 * Bot Framework {@link Storage} on our database, with eTag optimistic concurrency.
 * @remarks Semantics follow botbuilder's storages: unknown keys read as absent, an item written with a
 * stale eTag is rejected, `*` (or no eTag) overwrites, and every write gives the item a new eTag.
 */
export class DatabaseStorage implements Storage {
  private readonly repo: BotStateRepository;

  constructor(db: DbTx) {
    this.repo = new BotStateRepository(db);
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when reading');
    const rows = await this.repo.readMany(keys);
    const items: StoreItems = {};
    for (const row of rows) {
      items[row.key] = { ...(JSON.parse(row.data) as object), eTag: row.etag };
    }
    return items;
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
