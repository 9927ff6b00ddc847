import type { Storage, StoreItems } from 'botbuilder';
import { MemoryStorage } from 'botbuilder';
import { DatabaseStorage } from '../../bot/services/databaseStorage';
import type { DbTx } from '../../data/db';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

/**
 * The conformance suite every bot state storage must pass: the cases botbuilder-js checks for its own
 * storages, run against MemoryStorage (as a reference) and against our database storage on each provider.
 */
function conformance(name: string, make: () => Promise<{ storage: Storage; dispose(): Promise<void> }>) {
  describe(`Storage conformance: ${name}`, () => {
    let storage: Storage;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ storage, dispose } = await make());
    });
    afterAll(async () => dispose());

    test('when a key is unknown, then reading it returns nothing', async () => {
      const items = await storage.read(['unknown-key']);
      expect(items).toEqual({});
    });

    test('when several items are created in one call, then they read back in one call', async () => {
      await storage.write({ 'create-1': { id: 1 }, 'create-2': { id: 2, label: 'deux' } });
      const items = await storage.read(['create-1', 'create-2', 'create-absent']);
      expect(items['create-1']).toMatchObject({ id: 1 });
      expect(items['create-2']).toMatchObject({ id: 2, label: 'deux' });
      expect(items['create-absent']).toBeUndefined();
      expect(typeof items['create-1'].eTag).toBe('string');
      expect(items['create-1'].eTag).not.toBe('*');
    });

    test('when nested objects and non-ASCII text are written, then they round-trip unchanged', async () => {
      const doc = {
        nom: 'Hélène Côté-Bélanger',
        lieu: 'CLSC de la Haute-Saint-Charles — Québec',
        emoji: '✅ 🇨🇦',
        nested: { list: [1, 'deux', { trois: [3, null, true] }], empty: {}, flag: false },
      };
      await storage.write({ 'nested-é': doc });
      const items = await storage.read(['nested-é']);
      const { eTag, ...rest } = items['nested-é'];
      expect(eTag).toBeTruthy();
      expect(rest).toEqual(doc);
    });

    test('when an item is updated with its current eTag, then the write succeeds and the eTag changes', async () => {
      await storage.write({ update: { count: 1 } });
      const first = (await storage.read(['update'])).update;
      await storage.write({ update: { ...first, count: 2 } });
      const second = (await storage.read(['update'])).update;
      expect(second.count).toBe(2);
      expect(second.eTag).not.toBe(first.eTag);
    });

    test('when an item is written with a stale eTag, then the write is rejected and the stored item is kept', async () => {
      await storage.write({ stale: { value: 'a' } });
      const original = (await storage.read(['stale'])).stale;
      await storage.write({ stale: { ...original, value: 'b' } });
      await expect(storage.write({ stale: { ...original, value: 'c' } })).rejects.toThrow();
      expect((await storage.read(['stale'])).stale.value).toBe('b');
    });

    test('when an item is written with eTag "*", then it overwrites whatever is stored', async () => {
      await storage.write({ star: { value: 1 } });
      const read = (await storage.read(['star'])).star;
      await storage.write({ star: { ...read, value: 2 } });
      await storage.write({ star: { value: 3, eTag: '*' } });
      expect((await storage.read(['star'])).star.value).toBe(3);
    });

    test('when an item is written without eTag, then it overwrites (last writer wins)', async () => {
      await storage.write({ noetag: { value: 1 } });
      await storage.write({ noetag: { value: 2 } });
      expect((await storage.read(['noetag'])).noetag.value).toBe(2);
    });

    test('when every write happens, then the eTag changes each time', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        await storage.write({ etags: { i, eTag: '*' } });
        seen.add((await storage.read(['etags'])).etags.eTag as string);
      }
      expect(seen.size).toBe(3);
    });

    test('when several items are deleted in one call, then they read as absent and unknown keys are ignored', async () => {
      await storage.write({ 'del-1': { a: 1 }, 'del-2': { b: 2 }, 'del-keep': { c: 3 } });
      await storage.delete(['del-1', 'del-2', 'del-never-existed']);
      const items: StoreItems = await storage.read(['del-1', 'del-2', 'del-keep']);
      expect(Object.keys(items)).toEqual(['del-keep']);
    });

    test('when two writers race with the same eTag, then exactly one wins', async () => {
      await storage.write({ race: { n: 0 } });
      const read = (await storage.read(['race'])).race;
      const results = await Promise.allSettled([
        storage.write({ race: { ...read, n: 1 } }),
        storage.write({ race: { ...read, n: 2 } }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect([1, 2]).toContain((await storage.read(['race'])).race.n);
    });

    test('when reading with no keys, then nothing is returned', async () => {
      expect(await storage.read([])).toEqual({});
    });
  });
}

conformance('MemoryStorage (reference)', async () => ({ storage: new MemoryStorage(), dispose: async () => undefined }));

for (const provider of providersUnderTest()) {
  conformance(`DatabaseStorage on ${provider}`, async () => {
    const db = await createTestDatabase(provider);
    return { storage: new DatabaseStorage(db.prisma), dispose: () => db.dispose() };
  });
  // A client without the plain-SQL runner (e.g. an extended one) goes through Prisma: same contract.
  conformance(`DatabaseStorage on ${provider} through Prisma`, async () => {
    const db = await createTestDatabase(provider);
    return { storage: new DatabaseStorage(db.prisma.$extends({}) as unknown as DbTx), dispose: () => db.dispose() };
  });
}

describe.each(providersUnderTest())('DatabaseStorage read batching on %s', (provider) => {
  test('when reads arrive in the same tick, then one query answers them and each caller gets only its own keys', async () => {
    const db = await createTestDatabase(provider);
    try {
      const storage = new DatabaseStorage(db.prisma);
      await storage.write({ 'conv/a': { n: 1 }, 'user/a': { n: 2 }, 'conv/b': { n: 3 } });
      const repo = (storage as unknown as { repo: { readMany(keys: string[]): Promise<unknown> } }).repo;
      const calls: string[][] = [];
      const original = repo.readMany.bind(repo);
      repo.readMany = (keys: string[]) => {
        calls.push(keys);
        return original(keys);
      };
      const [conv, user, other, none] = await Promise.all([
        storage.read(['conv/a']),
        storage.read(['user/a', 'absent']),
        storage.read(['conv/b']),
        storage.read(['absent']),
      ]);
      expect(calls).toHaveLength(1);
      expect(Object.keys(conv)).toEqual(['conv/a']);
      expect(conv['conv/a']).toMatchObject({ n: 1 });
      expect(Object.keys(user)).toEqual(['user/a']);
      expect(user['user/a']).toMatchObject({ n: 2 });
      expect(other['conv/b']).toMatchObject({ n: 3 });
      expect(none).toEqual({});
      // A read on a later tick is a query of its own.
      await storage.read(['conv/a']);
      expect(calls).toHaveLength(2);
    } finally {
      await db.dispose();
    }
  });

  test('when the batched query fails, then every caller of that tick gets the error', async () => {
    const db = await createTestDatabase(provider);
    const storage = new DatabaseStorage(db.prisma);
    await db.dispose();
    const results = await Promise.allSettled([storage.read(['x']), storage.read(['y'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
