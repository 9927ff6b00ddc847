import { createLogger } from '../../bot/logger';
import { OutboxDispatcher, type OutboxDispatcherOptions, type OutboxHandler } from '../../bot/services/outboxDispatcher';
import { openDatabase, type Database } from '../../data/db';
import { OutboxRepository, type OutboxRecord } from '../../data/outboxRepository';
import { latch, tick, until } from '../helpers/async';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
type Payload = { n: number };

/** Counts the deliveries running at once, and the most seen. */
class InFlight {
  now = 0;
  max = 0;
  async around<T>(work: () => Promise<T>): Promise<T> {
    this.now++;
    this.max = Math.max(this.max, this.now);
    try {
      return await work();
    } finally {
      this.now--;
    }
  }
}

/**
 * The dispatcher's pool of deliveries against a real database, with real timers: handlers that block on latches show
 * how many deliveries overlap; rows of one ordering key still go one at a time, in order; two instances never send a
 * row twice; a slow or failing row does not hold up the others; stop() waits for the deliveries under way.
 */
for (const provider of providersUnderTest()) {
  describe(`outbox dispatcher concurrency on ${provider}`, () => {
    let db: TestDb;
    /** A second connection to the same database, as a second instance has. */
    let other: Database;
    let repo: OutboxRepository;
    const dispatchers: OutboxDispatcher[] = [];
    let seq = 0;

    beforeAll(async () => {
      db = await createTestDatabase(provider);
      other = await openDatabase(db.url);
    });
    afterAll(async () => {
      await other?.close();
      await db?.dispose();
    });
    beforeEach(async () => {
      await db.prisma.outboxMessage.deleteMany();
      repo = new OutboxRepository(db.prisma);
    });
    afterEach(async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
    });

    function dispatcherOf(repository: OutboxRepository, handler: OutboxHandler<Payload>, options: Partial<OutboxDispatcherOptions> = {}): OutboxDispatcher {
      const d = new OutboxDispatcher(repository, createLogger('silent'), {
        pollIntervalMs: 60_000,
        maxAttempts: 5,
        backoffBaseMs: 60_000,
        backoffMaxMs: 600_000,
        sendTimeoutMs: 5_000,
        ...options,
      });
      d.register('test.kind', handler);
      dispatchers.push(d);
      return d;
    }

    const enqueue = (orderingKey?: string) =>
      repo.enqueue<Payload>({ kind: 'test.kind', target: { type: 'conversation', conversationId: `a:c-${++seq}` }, payload: { n: seq }, orderingKey }, new Date());
    /** `count` rows without ordering key, one after the other (so their ids follow the order of the list). */
    async function enqueueMany(count: number): Promise<OutboxRecord[]> {
      const rows: OutboxRecord[] = [];
      for (let i = 0; i < count; i++) rows.push(await enqueue());
      return rows;
    }

    test('when more rows are due than the concurrency, then that many deliveries overlap and never more, and a freed slot takes the next row', async () => {
      const rows = await enqueueMany(7);
      const gates = new Map(rows.map((r) => [r.id, latch()]));
      const started: number[] = [];
      const inFlight = new InFlight();
      const dispatcher = dispatcherOf(repo, {
        deliver: (m) =>
          inFlight.around(async () => {
            started.push(m.id);
            await gates.get(m.id)!.wait;
            return { activityId: `act-${m.id}` };
          }),
      }, { concurrency: 3 });

      const run = dispatcher.runOnce();
      await until(() => started.length === 3, 'three deliveries under way');
      await tick(50);
      expect(started).toHaveLength(3);
      expect(inFlight.now).toBe(3);

      gates.get(started[0]!)!.open();
      await until(() => started.length === 4, 'a fourth delivery in the freed slot');
      await tick(50);
      expect(started).toHaveLength(4);

      for (const gate of gates.values()) gate.open();
      expect(await run).toEqual({ sent: 7, retried: 0, failed: 0 });
      expect(inFlight.max).toBe(3);
      expect([...started].sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
      expect((await repo.list({ status: 'sent' })).map((r) => r.activityId)).toEqual(rows.map((r) => `act-${r.id}`));
    });

    test('when rows share ordering keys, then each key’s rows go one at a time in id order, while other rows overlap them, all in one run', async () => {
      const keyOf = new Map<number, string | undefined>();
      for (let i = 0; i < 4; i++) {
        for (const key of ['request:1', 'request:2', 'request:3', undefined]) {
          const row = await enqueue(key);
          keyOf.set(row.id, key);
        }
      }
      const events: { id: number; key?: string; at: 'start' | 'end' }[] = [];
      const inFlight = new InFlight();
      const dispatcher = dispatcherOf(repo, {
        deliver: (m) =>
          inFlight.around(async () => {
            events.push({ id: m.id, key: m.orderingKey ?? undefined, at: 'start' });
            // Uneven delays, so that a later row would overtake an earlier one if it could.
            await tick(5 + ((m.payload.n * 7) % 4) * 10);
            events.push({ id: m.id, key: m.orderingKey ?? undefined, at: 'end' });
          }),
      }, { concurrency: 8 });

      expect(await dispatcher.runOnce()).toEqual({ sent: 16, retried: 0, failed: 0 });
      expect(inFlight.max).toBeGreaterThan(1);
      for (const key of ['request:1', 'request:2', 'request:3']) {
        const mine = events.filter((e) => e.key === key);
        const ids = [...keyOf].filter(([, k]) => k === key).map(([id]) => id);
        // start, end, start, end… in id order: never two of the key at once, never out of order.
        expect(mine).toEqual(ids.flatMap((id) => [{ id, key, at: 'start' }, { id, key, at: 'end' }]));
      }
    });

    test('when a row of an ordering key is retried, then the rows behind it wait while the other rows go out', async () => {
      const first = await enqueue('request:9');
      const second = await enqueue('request:9');
      const free = await enqueueMany(2);
      const delivered: number[] = [];
      const dispatcher = dispatcherOf(repo, {
        deliver: async (m) => {
          if (m.id === first.id) throw Object.assign(new Error('busy'), { statusCode: 503 });
          delivered.push(m.id);
        },
      }, { concurrency: 4 });
      expect(await dispatcher.runOnce()).toEqual({ sent: 2, retried: 1, failed: 0 });
      expect(delivered.sort((a, b) => a - b)).toEqual(free.map((r) => r.id));
      expect(await repo.findById(second.id)).toMatchObject({ status: 'pending', attempts: 0, lockOwner: null });
    });

    test('when two instances dispatch the same queue at once, then every row is delivered exactly once', async () => {
      const rows: OutboxRecord[] = [];
      for (let i = 0; i < 40; i++) rows.push(await enqueue(i % 3 === 0 ? `request:${i % 5}` : undefined));
      const deliveries: { id: number; by: string }[] = [];
      const handlerFor = (by: string): OutboxHandler<Payload> => ({
        deliver: async (m) => {
          deliveries.push({ id: m.id, by });
          await tick(2 + (m.payload.n % 3) * 3);
        },
      });
      const one = dispatcherOf(repo, handlerFor('one'), { concurrency: 6, batchSize: 100 });
      const two = dispatcherOf(new OutboxRepository(other.prisma), handlerFor('two'), { concurrency: 6, batchSize: 100 });
      for (let round = 0; round < 10 && deliveries.length < rows.length; round++) await Promise.all([one.runOnce(), two.runOnce(), one.runOnce()]);
      expect(deliveries.map((d) => d.id).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
      expect((await repo.list({ status: 'sent' })).length).toBe(rows.length);
    });

    test('when one row hangs until its timeout and another fails for good, then the other rows are delivered meanwhile', async () => {
      const hanging = await enqueue();
      const refused = await enqueue();
      const fine = await enqueueMany(5);
      const sent: number[] = [];
      const heard: number[] = [];
      const dispatcher = dispatcherOf(repo, {
        deliver: async (m) => {
          if (m.id === hanging.id) return new Promise<never>(() => undefined);
          if (m.id === refused.id) throw Object.assign(new Error('blocked'), { statusCode: 403 });
          sent.push(m.id);
        },
        onFailed: async (m) => {
          heard.push(m.id);
        },
      }, { concurrency: 2, sendTimeoutMs: 1_500 });

      const t0 = Date.now();
      const run = dispatcher.runOnce();
      await until(() => sent.length === fine.length, 'the other rows to be delivered');
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(await repo.findById(hanging.id)).toMatchObject({ status: 'pending', attempts: 0, lockOwner: dispatcher.instanceId });
      await until(async () => (await repo.list({ status: 'sent' })).length === fine.length, 'the other rows to be marked sent');

      expect(await run).toEqual({ sent: 5, retried: 1, failed: 1 });
      expect(await repo.findById(hanging.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'TimeoutError', lockOwner: null });
      expect(await repo.findById(refused.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 403' });
      expect(heard).toEqual([refused.id]);
    });

    test('when the dispatcher is stopped with deliveries under way, then stop() waits for them to finish and be recorded, and claims nothing more', async () => {
      const rows = await enqueueMany(5);
      const gate = latch();
      const started: number[] = [];
      const dispatcher = dispatcherOf(repo, {
        deliver: async (m) => {
          started.push(m.id);
          await gate.wait;
        },
      }, { concurrency: 3 });
      const claims = jest.spyOn(repo, 'claimDue');
      dispatcher.start();
      await until(() => started.length === 3, 'three deliveries under way');

      let stopped = false;
      const stopping = dispatcher.stop().then(() => (stopped = true));
      await tick(50);
      expect(stopped).toBe(false);
      gate.open();
      await stopping;
      const claimsAtStop = claims.mock.calls.length;
      expect((await repo.list({ status: 'sent' })).map((r) => r.id).sort((a, b) => a - b)).toEqual([...started].sort((a, b) => a - b));
      expect(await repo.list({ status: 'pending' })).toHaveLength(rows.length - 3);
      expect((await repo.list({ status: 'pending' })).every((r) => r.lockOwner === null)).toBe(true);
      await tick(50);
      expect(started).toHaveLength(3);
      expect(claims.mock.calls.length).toBe(claimsAtStop);
    });
  });
}
