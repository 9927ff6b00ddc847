import { randomUUID } from 'node:crypto';
import type { DbTx } from './db';

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

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}

/** Reads, writes (with optimistic concurrency) and deletes bot state items. */
export class BotStateRepository {
  constructor(private readonly db: DbTx) {}

  /** Rows for the keys that exist; unknown keys are simply absent. */
  async readMany(keys: string[]): Promise<StateRow[]> {
    if (keys.length === 0) return [];
    return this.db.botStateItem.findMany({ where: { key: { in: keys } }, select: { key: true, data: true, etag: true } });
  }

  /**
   * Writes one item and returns its new eTag.
   * @remarks `expectedEtag` undefined or `*` overwrites; any other value must match the stored eTag
   * (or the item must not exist yet), otherwise a {@link StateConflictError} is thrown.
   */
  async write(key: string, data: string, expectedEtag?: string): Promise<string> {
    const etag = randomUUID();
    const updatedAt = new Date();
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

  /** Deletes the items; unknown keys are ignored. */
  async deleteMany(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.botStateItem.deleteMany({ where: { key: { in: keys } } });
  }
}
