import type { Storage, StoreItems } from 'botbuilder';
import { BotStateRepository, type CompanionWrite, type StateRow } from '../../data/botStateRepository';
import type { DbTx } from '../../data/db';

const STORED_JSON = Symbol('storedJson');

/** The JSON an item is stored as: everything but its eTag. */
export function storedJson(item: object): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { eTag, ...rest } = item as { eTag?: unknown };
  return JSON.stringify(rest);
}

/**
 * The JSON a state item read from {@link DatabaseStorage} was stored as ({@link storedJson} at its write): `storedJson`
 * of the item gives the same text as long as the item is unchanged.
 */
export function storedJsonOf(item: object): string | undefined {
  return (item as { [STORED_JSON]?: string })[STORED_JSON];
}

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
  /** Reads already under way for a turn (see {@link prime}), per key, oldest first. */
  private readonly primed = new Map<string, Promise<StateRow | null>[]>();

  constructor(db: DbTx) {
    this.repo = new BotStateRepository(db);
  }

  /**
   * Hands the next read of `key` a row already being read (the turn prelude reads a turn's state with its other
   * opening statements, in one round trip); returns the function that withdraws it if nobody took it.
   * @remarks A read takes the oldest primed row of its key: concurrent turns of one conversation each prime and each
   * read once, and any of their rows is as fresh as a read of its own would have been (eTags still guard the writes).
   */
  prime(key: string, row: Promise<StateRow | null>): () => void {
    // A rejected prelude is reported by the read that takes it; one nobody takes must not surface as unhandled.
    row.catch(() => undefined);
    let list = this.primed.get(key);
    if (!list) this.primed.set(key, (list = []));
    list.push(row);
    return () => {
      const current = this.primed.get(key);
      const i = current ? current.indexOf(row) : -1;
      if (i < 0) return;
      current!.splice(i, 1);
      if (current!.length === 0) this.primed.delete(key);
    };
  }

  private takePrimed(key: string): Promise<StateRow | null> | undefined {
    const list = this.primed.get(key);
    if (!list) return undefined;
    const row = list.shift();
    if (list.length === 0) this.primed.delete(key);
    return row;
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when reading');
    if (keys.length === 0) return {};
    // Rows the turn prelude is reading already, then one batched query for the other keys.
    const primed = this.primed.size > 0 ? keys.map((key) => this.takePrimed(key)) : [];
    const rest = primed.length > 0 ? keys.filter((_, i) => primed[i] === undefined) : keys;
    const [taken, read] = await Promise.all([Promise.all(primed), rest.length > 0 ? this.readBatched(rest) : undefined]);
    const rows = new Map<string, StateRow>();
    for (const row of taken) if (row) rows.set(row.key, row);
    for (const key of rest) {
      const row = read?.get(key);
      if (row) rows.set(key, row);
    }
    const items: StoreItems = {};
    for (const key of keys) {
      const row = rows.get(key);
      if (!row) continue;
      const item = { ...(JSON.parse(row.data) as object), eTag: row.etag };
      // The JSON it was stored as (its eTag aside): the lean BotState's change check starts from it. Not enumerable,
      // so copying or serialising the item leaves it out.
      Object.defineProperty(item, STORED_JSON, { value: row.data });
      items[key] = item;
    }
    return items;
  }

  /** Reads keys with the other reads of this tick (one query for them all); each caller gets the rows of all of them. */
  private readBatched(keys: string[]): Promise<Map<string, StateRow>> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => void this.flushReads());
      this.pending.push({ keys, resolve, reject });
    });
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

  /** Whether {@link write} takes companion statements: on a client opened by `openDatabase` (plain SQL). */
  get takesCompanions(): boolean {
    return this.repo.takesCompanions;
  }

  /**
   * Writes the items; `companions` (per key, only when {@link takesCompanions}) are made with their item's write, in
   * the same statement on PostgreSQL or group-commit entry on SQLite (see BotStateRepository.write).
   */
  async write(changes: StoreItems, companions?: Readonly<Record<string, CompanionWrite>>): Promise<void> {
    if (!changes || typeof changes !== 'object') throw new TypeError('Changes are required when writing');
    for (const [key, item] of Object.entries(changes)) {
      const value = (item ?? {}) as { eTag?: string };
      await this.repo.write(key, storedJson(value), value.eTag, companions?.[key]);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when deleting');
    await this.repo.deleteMany(keys);
  }
}
