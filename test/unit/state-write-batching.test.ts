import { BotStateRepository } from '../../data/botStateRepository';
import { ConversationRefRepository, conversationRefWrite } from '../../data/conversationRefRepository';
import { sqlRunnerOf } from '../../data/sql';
import { TurnPreludeRepository } from '../../data/turnPreludeRepository';
import { DatabaseStorage } from '../../bot/services/databaseStorage';
import { countingClient } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

for (const provider of providersUnderTest()) {
  describe(`state overwrites of concurrent turns (${provider})`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await createTestDatabase(provider);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    test('overwrites made at once are all stored, each with its own eTag; one key written twice keeps the later write', async () => {
      const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
      const repository = new BotStateRepository(client);
      const keys = ['batch/a', 'batch/b', 'batch/c'];
      const etags = await Promise.all([
        ...keys.map((key) => repository.write(key, JSON.stringify({ key }), '*')),
        repository.write('batch/a', '{"key":"batch/a","again":true}', '*'),
      ]);

      expect(new Set(etags).size).toBe(4);
      const rows = await new BotStateRepository(db.prisma).readMany(keys);
      expect(Object.fromEntries(rows.map((r) => [r.key, [r.data, r.etag]]))).toEqual({
        'batch/a': ['{"key":"batch/a","again":true}', etags[3]],
        'batch/b': ['{"key":"batch/b"}', etags[1]],
        'batch/c': ['{"key":"batch/c"}', etags[2]],
      });
      if (provider === 'postgresql') {
        // One statement for the three keys, then one for the second write of batch/a (never in the same statement:
        // one upsert cannot touch a row twice, and the order of the two writes is kept).
        expect(calls).toEqual(['execute', 'execute']);
      }
    });

    test('first turns saving at once store every state with its conversation reference; a statement carries at most 8 references', async () => {
      const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
      const repository = new BotStateRepository(client);
      const ids = Array.from({ length: 10 }, (_, i) => `first-${i}`);
      const ref = (id: string, locale: string) =>
        conversationRefWrite({ conversationId: id, scope: 'personal', userId: `u-${id}`, locale, reference: JSON.stringify({ conversation: { id } }) });
      await Promise.all([
        ...ids.map((id) => repository.write(`msteams/conversations/${id}`, JSON.stringify({ id }), '*', ref(id, 'fr-CA'))),
        // The same conversation's reference again (another key of state): not in the same statement as the first.
        repository.write(`msteams/users/u-first-0`, '{}', '*', ref('first-0', 'en-US')),
      ]);

      const refs = new ConversationRefRepository(db.prisma);
      for (const id of ids.slice(1)) expect(await refs.find(id)).toEqual(expect.objectContaining({ conversationId: id, userId: `u-${id}`, locale: 'fr-CA' }));
      // The later write wins, as one after the other.
      expect((await refs.find('first-0'))?.locale).toBe('en-US');
      const rows = await new BotStateRepository(db.prisma).readMany(ids.map((id) => `msteams/conversations/${id}`));
      expect(rows).toHaveLength(10);
      if (provider === 'postgresql') {
        // 8 states with their references, then the 2 other first turns with the second reference of first-0.
        expect(calls).toEqual(['execute', 'execute']);
      }
    });

    test('what array parameters must carry intact does: quotes, backslashes, braces, commas, accents, an empty text and the word NULL, in data and in keys', async () => {
      const repository = new BotStateRepository(db.prisma);
      const values: Record<string, string> = {
        'odd/quotes': JSON.stringify({ name: 'O\'Neil "Léa"', path: 'C:\\dossier\\{x}', list: 'a,b,{c}' }),
        'odd/null-word': 'NULL',
        'odd/empty': '',
        'odd/spaces': '  { } ',
        'msteams/conversations/a:1x;messageid=2,"3"\\': '{}',
      };
      await Promise.all(Object.entries(values).map(([key, data]) => repository.write(key, data, '*')));
      const rows = await repository.readMany(Object.keys(values));
      expect(Object.fromEntries(rows.map((r) => [r.key, r.data]))).toEqual(values);
      // And read back through the prelude's array of state keys.
      const read = await new TurnPreludeRepository(db.sql).run({ claimKey: 'odd-claim', stateKeys: Object.keys(values), now: new Date() });
      expect(Object.fromEntries(read.rows.map((r) => [r.key, r.data]))).toEqual(values);
    });

    test('through DatabaseStorage: the turns of several conversations saving at once, then read back', async () => {
      const storage = new DatabaseStorage(db.prisma);
      const conversations = Array.from({ length: 12 }, (_, i) => `msteams/conversations/batch-${i}`);
      await Promise.all(conversations.map((key, i) => storage.write({ [key]: { step: i, eTag: '*' } })));
      const items = await storage.read(conversations);
      expect(conversations.map((key) => (items[key] as { step?: number })?.step)).toEqual(conversations.map((_, i) => i));
    });

    test('a batch that fails runs again one write at a time: the good writes are stored, only the bad one fails', async () => {
      const runner = sqlRunnerOf(db.prisma)!;
      const { client } = countingClient(db.prisma, {
        ...runner,
        // A statement that carries this item fails, as a database refusing one item's data would fail its whole batch.
        execute: (sql, params) =>
          JSON.stringify(params).includes('refused') ? Promise.reject(new Error('refused by the database')) : runner.execute(sql, params),
      });
      const repository = new BotStateRepository(client);
      const results = await Promise.allSettled([
        repository.write('retry/a', '{"ok":1}', '*'),
        repository.write('retry/b', '{"refused":true}', '*'),
        repository.write('retry/c', '{"ok":3}', '*'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const rows = await new BotStateRepository(db.prisma).readMany(['retry/a', 'retry/b', 'retry/c']);
      expect(rows.map((r) => r.key).sort()).toEqual(['retry/a', 'retry/c']);
    });
  });
}
