import { ActivityTypes, TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { BotStateRepository } from '../../data/botStateRepository';
import { ProcessedActivityRepository } from '../../data/processedActivityRepository';
import { RateLimitRepository } from '../../data/rateLimitRepository';
import { TurnPreludeRepository } from '../../data/turnPreludeRepository';
import { createLogger } from '../../bot/logger';
import { DuplicateDeliveryMiddleware } from '../../bot/middleware/duplicateDelivery';
import { TurnPreludeMiddleware } from '../../bot/middleware/turnPrelude';
import { RateLimiterSqlStore, UserRateLimitMiddleware } from '../../bot/middleware/userRateLimit';
import { DatabaseStorage } from '../../bot/services/databaseStorage';
import { sqlRunnerOf, type SqlRunner } from '../../data/sql';
import { countingClient } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const NOW = new Date('2026-11-23T15:00:00.000Z');
const LATER = (ms: number) => new Date(NOW.getTime() + ms);

for (const provider of providersUnderTest()) {
  describe(`turn prelude: claim, count and state read together (${provider})`, () => {
    let db: TestDb;
    let prelude: TurnPreludeRepository;
    let counters: RateLimitRepository;
    let processed: ProcessedActivityRepository;
    let seq = 0;
    const key = (what: string) => `${what}-${++seq}`;

    beforeAll(async () => {
      db = await createTestDatabase(provider);
      prelude = new TurnPreludeRepository(db.sql);
      counters = new RateLimitRepository(db.sql);
      processed = new ProcessedActivityRepository(db.prisma);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    test('a first delivery is claimed, counted from 1 with a new window, and its existing state items are read', async () => {
      const states = new BotStateRepository(db.prisma);
      const conversation = key('msteams/conversations/c');
      const user = key('msteams/users/u');
      await states.write(conversation, '{"dialogState":{"n":1}}');
      const claimKey = key('claim');
      const counter = key('rl');

      const result = await prelude.run({ claimKey, count: { key: counter, points: 1, expire: LATER(60_000) }, stateKeys: [conversation, user], now: NOW });

      expect(result.claimed).toBe(true);
      expect(result.count).toEqual({ points: 1, expire: LATER(60_000) });
      expect(result.rows.map((r) => [r.key, r.data])).toEqual([[conversation, '{"dialogState":{"n":1}}']]);
      // What the separate statements would see now.
      expect(await processed.claim(claimKey)).toBe(false);
      expect(await counters.get(counter, NOW)).toEqual({ points: 1, expire: LATER(60_000) });
    });

    test('the same delivery again is not claimed and costs the user nothing, but the state is still read', async () => {
      const claimKey = key('claim');
      const counter = key('rl');
      const conversation = key('msteams/conversations/c');
      await new BotStateRepository(db.prisma).write(conversation, '{"a":1}');
      await prelude.run({ claimKey, count: { key: counter, points: 1, expire: LATER(60_000) }, stateKeys: [conversation], now: NOW });

      const again = await prelude.run({ claimKey, count: { key: counter, points: 1, expire: LATER(61_000) }, stateKeys: [conversation], now: LATER(1000) });

      expect(again.claimed).toBe(false);
      expect(again.count).toBeNull();
      expect(again.rows).toHaveLength(1);
      expect(await counters.get(counter, LATER(1000))).toEqual({ points: 1, expire: LATER(60_000) });
    });

    test('messages add up within the window, and the first one after it ends starts a new window, as the rate-limit upsert does', async () => {
      const counter = key('rl');
      const run = (at: Date) => prelude.run({ claimKey: key('claim'), count: { key: counter, points: 1, expire: new Date(at.getTime() + 60_000) }, stateKeys: [], now: at });
      expect((await run(NOW)).count).toEqual({ points: 1, expire: LATER(60_000) });
      expect((await run(LATER(10_000))).count).toEqual({ points: 2, expire: LATER(60_000) });
      expect((await run(LATER(59_999))).count).toEqual({ points: 3, expire: LATER(60_000) });
      expect((await run(LATER(60_000))).count).toEqual({ points: 1, expire: LATER(120_000) });
    });

    test('without counting and without state keys it only claims', async () => {
      const claimKey = key('claim');
      expect(await prelude.run({ claimKey, stateKeys: [], now: NOW })).toEqual({ claimed: true, count: null, rows: [] });
      expect(await prelude.run({ claimKey, stateKeys: [], now: NOW })).toEqual({ claimed: false, count: null, rows: [] });
    });

    test('preludes sent at once each get their own outcome: the same message twice is claimed once, one user\'s messages add up in order, each reads its own state', async () => {
      const states = new BotStateRepository(db.prisma);
      const conversations = [key('msteams/conversations/c'), key('msteams/conversations/c'), key('msteams/conversations/c')];
      await states.write(conversations[0]!, '{"n":0}');
      await states.write(conversations[2]!, '{"n":2}');
      const counter = key('rl');
      const other = key('rl');
      const twice = key('claim');
      // Counting the statements sent (on PostgreSQL, the prelude batches concurrent turns).
      const { client, calls } = countingClient(db.prisma, db.sql);
      const repository = new TurnPreludeRepository(sqlRunnerOf(client)!);
      const input = (claimKey: string, counterKey: string | undefined, stateKeys: string[]) => ({
        claimKey,
        count: counterKey ? { key: counterKey, points: 1, expire: LATER(60_000) } : undefined,
        stateKeys,
        now: NOW,
      });

      const results = await Promise.all([
        repository.run(input(key('claim'), counter, [conversations[0]!])),
        repository.run(input(twice, other, [conversations[1]!])),
        repository.run(input(key('claim'), counter, [conversations[2]!, conversations[0]!])),
        repository.run(input(twice, other, [conversations[1]!])),
        repository.run(input(key('claim'), undefined, [])),
        repository.run(input(key('claim'), counter, [])),
      ]);

      expect(results.map((r) => r.claimed)).toEqual([true, true, true, false, true, true]);
      expect(results.map((r) => r.count?.points ?? null)).toEqual([1, 1, 2, null, null, 3]);
      expect(results.map((r) => r.rows.map((row) => row.data).sort())).toEqual([['{"n":0}'], [], ['{"n":0}', '{"n":2}'], [], [], []]);
      expect(await counters.get(counter, NOW)).toEqual({ points: 3, expire: LATER(60_000) });
      expect(await counters.get(other, NOW)).toEqual({ points: 1, expire: LATER(60_000) });
      if (provider === 'postgresql') {
        // One user's three messages cannot share a statement (one upsert cannot touch a row twice), nor can the same
        // delivery twice: three statements for six turns, not six.
        expect(calls).toEqual(['query', 'query', 'query']);
      }
    });

    test('in one statement, a message whose window has ended starts a new one while another user\'s adds up', async () => {
      const ended = key('rl');
      const running = key('rl');
      await counters.consume(ended, 5, NOW, LATER(1000));
      await counters.consume(running, 5, NOW, LATER(60_000));
      const at = LATER(1000);
      const [a, b] = await Promise.all([
        prelude.run({ claimKey: key('claim'), count: { key: ended, points: 1, expire: LATER(61_000) }, stateKeys: [], now: at }),
        prelude.run({ claimKey: key('claim'), count: { key: running, points: 1, expire: LATER(61_000) }, stateKeys: [], now: at }),
      ]);
      expect(a!.count).toEqual({ points: 1, expire: LATER(61_000) });
      expect(b!.count).toEqual({ points: 6, expire: LATER(60_000) });
    });

    test('through the middlewares: a duplicate is dropped uncounted, an accepted message is counted once, and the bot reads the primed state without a query of its own', async () => {
      const storage = new DatabaseStorage(db.prisma);
      const limiter = new RateLimiterSqlStore(counters, { keyPrefix: 'user', points: 3, duration: 60, inMemoryBlockOnConsumed: 4 });
      const adapter = new TestAdapter(async () => undefined);
      const ran: string[] = [];
      adapter.use(
        new TurnPreludeMiddleware({
          repository: prelude,
          storage,
          limiter,
          stateKeys: (context) => [`msteams/conversations/${context.activity.conversation.id}`],
          clock: () => NOW,
        }),
      );
      adapter.use(new DuplicateDeliveryMiddleware(processed));
      adapter.use(new UserRateLimitMiddleware(limiter, createLogger('silent')));
      const conversationId = key('conv');
      await new BotStateRepository(db.prisma).write(`msteams/conversations/${conversationId}`, '{"seen":true}');
      const aadObjectId = key('aad');
      const readSpy = jest.spyOn(BotStateRepository.prototype, 'readMany');
      const activity = (id: string): Partial<Activity> => ({
        type: ActivityTypes.Message,
        id,
        channelId: 'msteams',
        text: 'bonjour',
        conversation: { id: conversationId } as Activity['conversation'],
        from: { id: 'user-1', aadObjectId } as Activity['from'],
        recipient: { id: 'bot' } as Activity['recipient'],
        serviceUrl: 'https://smba.example/',
      });
      const turn = (id: string) =>
        adapter.processActivity(activity(id), async (context: TurnContext) => {
          const items = await storage.read([`msteams/conversations/${conversationId}`]);
          ran.push(`${context.activity.id}:${JSON.stringify((items[`msteams/conversations/${conversationId}`] as { seen?: boolean })?.seen)}`);
        });
      try {
        await turn('a1');
        await turn('a1'); // Teams redelivers
        await turn('a2');
        expect(ran).toEqual(['a1:true', 'a2:true']);
        expect(readSpy).not.toHaveBeenCalled();
        const [counter] = await db.sql.query<{ points: number }>('SELECT "points" FROM "rate_limits" WHERE "key" LIKE ?', ['user:%']);
        expect(Number(counter?.points)).toBe(2);
      } finally {
        readSpy.mockRestore();
      }
    });
  });
}

describe('turn prelude on SQLite: a failure after the claim is committed', () => {
  let db: TestDb;
  let failStateReads = false;
  let failCounts = false;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => db?.dispose());

  /** The runner, with the state read or the count failing on demand inside `together` (as a disk error would). */
  function flakyRunner(): SqlRunner {
    return {
      ...db.sql,
      together: (fn) =>
        db.sql.together!((s) =>
          fn({
            query: (sql, params) => {
              if (failStateReads && sql.includes('"bot_state_items"')) throw new Error('disk I/O error');
              if (failCounts && sql.includes('"rate_limits"')) throw new Error('disk I/O error');
              return s.query(sql, params);
            },
            execute: (sql, params) => s.execute(sql, params),
          }),
        ),
    };
  }

  test('the claim stands and each failed part carries its own error', async () => {
    const prelude = new TurnPreludeRepository(flakyRunner());
    failStateReads = true;
    failCounts = true;
    try {
      const result = await prelude.run({ claimKey: 'flaky-1', count: { key: 'rl-flaky', points: 1, expire: LATER(60_000) }, stateKeys: ['k'], now: NOW });
      expect(result).toMatchObject({ claimed: true, count: null, rows: [], failed: { count: expect.any(Error), rows: expect.any(Error) } });
    } finally {
      failStateReads = false;
      failCounts = false;
    }
  });

  test('through the middlewares: a turn whose state read failed after the claim releases it, and Teams’ redelivery is handled', async () => {
    const storage = new DatabaseStorage(db.prisma);
    const adapter = new TestAdapter(async () => undefined);
    adapter.use(new TurnPreludeMiddleware({ repository: new TurnPreludeRepository(flakyRunner()), storage, stateKeys: () => ['msteams/conversations/flaky'] }));
    adapter.use(new DuplicateDeliveryMiddleware(new ProcessedActivityRepository(db.prisma)));
    const ran: string[] = [];
    const turn = () =>
      adapter.processActivity(
        {
          type: ActivityTypes.Message,
          id: 'flaky-turn',
          channelId: 'msteams',
          text: 'je veux accéder au registre',
          conversation: { id: 'flaky' } as Activity['conversation'],
          from: { id: 'user-flaky' } as Activity['from'],
          recipient: { id: 'bot' } as Activity['recipient'],
        },
        async (context: TurnContext) => {
          await storage.read(['msteams/conversations/flaky']);
          ran.push(context.activity.text!);
        },
      );
    failStateReads = true;
    await expect(turn()).rejects.toThrow('disk I/O error');
    failStateReads = false;
    await turn(); // Teams redelivers the same activity
    expect(ran).toEqual(['je veux accéder au registre']);
  });
});

for (const provider of providersUnderTest()) {
  describe(`DatabaseStorage.prime on ${provider}`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await createTestDatabase(provider);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    test('a read takes the primed row of its key once, reads the other keys itself, and a withdrawn row is never used', async () => {
      const storage = new DatabaseStorage(db.prisma);
      await storage.write({ a: { v: 'stored-a', eTag: '*' }, b: { v: 'stored-b', eTag: '*' } });
      storage.prime('a', Promise.resolve({ key: 'a', data: '{"v":"primed-a"}', etag: 'e1' }));
      const withdraw = storage.prime('b', Promise.resolve({ key: 'b', data: '{"v":"primed-b"}', etag: 'e2' }));
      withdraw();

      expect(await storage.read(['a', 'b'])).toEqual({ a: { v: 'primed-a', eTag: 'e1' }, b: expect.objectContaining({ v: 'stored-b' }) });
      // Taken once: the next read goes to the database.
      expect(await storage.read(['a'])).toEqual({ a: expect.objectContaining({ v: 'stored-a' }) });
    });

    test('a primed absent item reads as absent, and a failed prelude fails the read that takes it', async () => {
      const storage = new DatabaseStorage(db.prisma);
      await storage.write({ c: { v: 'stored-c', eTag: '*' } });
      storage.prime('c', Promise.resolve(null));
      expect(await storage.read(['c'])).toEqual({});
      storage.prime('c', Promise.reject(new Error('connection lost')));
      await expect(storage.read(['c'])).rejects.toThrow('connection lost');
    });
  });
}
