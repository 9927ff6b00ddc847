import { createLogger } from '../../bot/logger';
import { OutboxDispatcher } from '../../bot/services/outboxDispatcher';
import { OutboxRepository } from '../../data/outboxRepository';
import { createTestDatabase, mainProvider } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const POLL_MS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler that cannot deliver yet, as the managers' card while the managers' team is not configured. */
class NotConfiguredError extends Error {
  override name = 'NotConfiguredError';
  readonly retryable = true;
}

/**
 * How often the dispatcher asks the database for work, with its real timers: once per poll interval when idle, no
 * more when rows wait for a retry (their backoff, not the poll, decides when they are tried again), and at once
 * after a kick.
 */
describe(`outbox dispatcher polling (${mainProvider()})`, () => {
  let db: TestDb;
  let repo: OutboxRepository;
  let dispatcher: OutboxDispatcher | undefined;
  let claims: jest.SpyInstance;
  const attempts: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });
  beforeEach(async () => {
    await db.prisma.outboxMessage.deleteMany();
    repo = new OutboxRepository(db.prisma);
    claims = jest.spyOn(repo, 'claimDue');
    attempts.length = 0;
    dispatcher = new OutboxDispatcher(repo, createLogger('silent'), { pollIntervalMs: POLL_MS, maxAttempts: 10, backoffBaseMs: 5_000, backoffMaxMs: 60_000, sendTimeoutMs: 1_000 });
    dispatcher.register('test.waiting', {
      deliver: async (m) => {
        attempts.push(m.id);
        throw new NotConfiguredError('team not configured');
      },
    });
    dispatcher.register('test.ok', { deliver: async () => ({ activityId: 'a', conversationId: 'c' }) });
  });
  afterEach(async () => {
    await dispatcher?.stop();
  });

  test('when the queue is empty, then the dispatcher looks once per poll interval', async () => {
    dispatcher!.start();
    await sleep(POLL_MS * 10);
    const polls = claims.mock.calls.length;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThanOrEqual(11);
  });

  test('when rows wait for a team that is not configured, then each is tried once and then left to its backoff; polling stays at the idle rate', async () => {
    for (let i = 0; i < 3; i++) await repo.enqueue({ kind: 'test.waiting', target: { type: 'channel', teamId: 'unconfigured' }, payload: { i } }, new Date());
    dispatcher!.start();
    await sleep(POLL_MS * 10);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts).size).toBe(3);
    // One run tries the three rows (one claim, finding fewer than it asked for: nothing else is due), then one claim per poll.
    expect(claims.mock.calls.length).toBeLessThanOrEqual(1 + 11);
    const rows = await repo.list({ kind: 'test.waiting' });
    expect(rows.every((r) => r.status === 'pending' && r.attempts === 1 && r.lastError === 'NotConfiguredError')).toBe(true);
    expect(rows.every((r) => r.nextAttemptAt.getTime() > Date.now() + 1_000)).toBe(true);
  });

  test('when a row is enqueued and the dispatcher is kicked, then it goes out without waiting for the next poll', async () => {
    const slow = new OutboxDispatcher(repo, createLogger('silent'), { pollIntervalMs: 60_000, maxAttempts: 10, backoffBaseMs: 5_000, backoffMaxMs: 60_000, sendTimeoutMs: 1_000 });
    slow.register('test.ok', { deliver: async () => ({ activityId: 'a', conversationId: 'c' }) });
    dispatcher = slow;
    slow.start();
    await sleep(50);
    const row = await repo.enqueue({ kind: 'test.ok', target: { type: 'conversation', conversationId: 'a:c' }, payload: {} }, new Date());
    slow.kick();
    for (let i = 0; i < 50 && (await repo.findById(row.id))!.status !== 'sent'; i++) await sleep(10);
    expect((await repo.findById(row.id))!.status).toBe('sent');
    // The start-up run, then the kicked run (one claim: the row, and nothing else was due).
    expect(claims.mock.calls.length).toBe(2);
  });
});
