import { RateLimiterPrisma, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createUserRateLimiter, RateLimiterSqlStore } from '../../bot/middleware/userRateLimit';
import { openDatabase, type Database, type Db } from '../../data/db';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const POINTS = 5;
const WINDOW_SECONDS = 60;

/** Resolves with the limiter's answer whether it let the message through or refused it. */
async function consume(limiter: RateLimiterAbstract, key: string): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await limiter.consume(key) };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { allowed: false, res: err };
    throw err;
  }
}

for (const provider of providersUnderTest()) {
  for (const path of ['plain SQL', 'Prisma'] as const) {
    describe(`per-user rate limiter on ${provider} (${path})`, () => {
      let db: TestDb;
      /** A second connection to the same database, as a second instance of the bot has. */
      let other: Database;
      const clientOf = (database: Database): Db => (path === 'plain SQL' ? database.prisma : (database.prisma.$extends({}) as unknown as Db));
      const limiterOn = (database: Database) => createUserRateLimiter(clientOf(database), { points: POINTS, windowSeconds: WINDOW_SECONDS });
      let seq = 0;
      const newKey = () => `k${++seq}-${path.replace(' ', '')}`;

      beforeAll(async () => {
        db = await createTestDatabase(provider);
        other = await openDatabase(db.url);
      });
      afterAll(async () => {
        await other?.close();
        await db?.dispose();
      });

      test(`when the limiter is built on this client, then it is ${path === 'plain SQL' ? 'the plain-SQL store' : "rate-limiter-flexible's Prisma store"}`, () => {
        const limiter = limiterOn(db);
        expect(limiter).toBeInstanceOf(path === 'plain SQL' ? RateLimiterSqlStore : RateLimiterPrisma);
      });

      test('when a user sends more than the limit in a window, then the messages over it are refused and the counter is stored under the hashed key', async () => {
        const limiter = limiterOn(db);
        const key = newKey();
        const before = Date.now();
        const answers = [];
        for (let i = 0; i < POINTS + 2; i++) answers.push(await consume(limiter, key));
        expect(answers.map((a) => a.allowed)).toEqual([true, true, true, true, true, false, false]);
        expect(answers[0]!.res).toMatchObject({ consumedPoints: 1, remainingPoints: POINTS - 1, isFirstInDuration: true });
        expect(answers[4]!.res).toMatchObject({ consumedPoints: POINTS, remainingPoints: 0, isFirstInDuration: false });
        // The first refusal comes from the database (points + 1); the next from the in-memory block, without a write.
        expect(answers[5]!.res.consumedPoints).toBe(POINTS + 1);
        expect(answers[5]!.res.msBeforeNext).toBeGreaterThan((WINDOW_SECONDS - 5) * 1000);
        expect(answers[5]!.res.msBeforeNext).toBeLessThanOrEqual(WINDOW_SECONDS * 1000);
        const row = await db.prisma.rateLimitCounter.findUnique({ where: { key: `user:${key}` } });
        expect(row!.points).toBe(POINTS + 1);
        // Prisma reads the expiry written by either store as the same instant.
        expect(row!.expire!.getTime()).toBeGreaterThanOrEqual(before + WINDOW_SECONDS * 1000);
        expect(row!.expire!.getTime()).toBeLessThanOrEqual(Date.now() + WINDOW_SECONDS * 1000);
      });

      test('when the window has ended, then the next message starts a new window (count 1, new expiry)', async () => {
        const limiter = limiterOn(db);
        const key = newKey();
        for (let i = 0; i < 3; i++) await consume(limiter, key);
        // The stored window ended a second ago (as after a minute of silence).
        await db.prisma.rateLimitCounter.update({ where: { key: `user:${key}` }, data: { expire: new Date(Date.now() - 1000) } });
        expect(await limiter.get(key)).toBeNull();
        const before = Date.now();
        const { allowed, res } = await consume(limiter, key);
        expect(allowed).toBe(true);
        expect(res).toMatchObject({ consumedPoints: 1, remainingPoints: POINTS - 1, isFirstInDuration: true });
        const row = await db.prisma.rateLimitCounter.findUnique({ where: { key: `user:${key}` } });
        expect(row!.points).toBe(1);
        expect(row!.expire!.getTime()).toBeGreaterThanOrEqual(before + WINDOW_SECONDS * 1000);
        // Within the new window, messages add up again.
        expect((await consume(limiter, key)).res.consumedPoints).toBe(2);
      });

      test('when a window has not ended, then its expiry does not move as messages come in', async () => {
        const limiter = limiterOn(db);
        const key = newKey();
        await consume(limiter, key);
        const fixed = new Date(Date.now() + 30_000);
        await db.prisma.rateLimitCounter.update({ where: { key: `user:${key}` }, data: { expire: fixed } });
        const { res } = await consume(limiter, key);
        expect(res.consumedPoints).toBe(2);
        expect(res.msBeforeNext).toBeLessThanOrEqual(30_000);
        expect(res.msBeforeNext).toBeGreaterThan(25_000);
        const row = await db.prisma.rateLimitCounter.findUnique({ where: { key: `user:${key}` } });
        expect(row!.expire!.toISOString()).toBe(fixed.toISOString());
      });

      test('when two instances count the same user, then they share one count, also when messages arrive at once', async () => {
        const first = limiterOn(db);
        const second = limiterOn(other);
        const key = newKey();
        expect((await consume(first, key)).res.consumedPoints).toBe(1);
        expect((await consume(second, key)).res.consumedPoints).toBe(2);
        expect((await consume(first, key)).res.consumedPoints).toBe(3);

        const burst = newKey();
        const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => consume(i % 2 === 0 ? first : second, burst)));
        expect(answers.filter((a) => a.allowed)).toHaveLength(POINTS);
        expect(answers.filter((a) => a.allowed).map((a) => a.res.consumedPoints).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      });

      test('when a key is read, blocked and deleted, then the store answers as rate-limiter-flexible expects', async () => {
        const limiter = limiterOn(db);
        const key = newKey();
        expect(await limiter.get(key)).toBeNull();
        await consume(limiter, key);
        await consume(limiter, key);
        expect(await limiter.get(key)).toMatchObject({ consumedPoints: 2, remainingPoints: POINTS - 2 });
        await limiter.block(key, 10);
        const blocked = await limiter.get(key);
        expect(blocked!.consumedPoints).toBe(POINTS + 1);
        expect(blocked!.msBeforeNext).toBeLessThanOrEqual(10_000);
        expect(blocked!.msBeforeNext).toBeGreaterThan(5_000);
        expect(await limiter.delete(key)).toBe(true);
        expect(await limiter.delete(key)).toBe(false);
        expect(await limiter.get(key)).toBeNull();
      });

      test('when the database cannot count, then the in-memory insurance limiter does (the limit holds per instance)', async () => {
        // A database where counting fails: its table is gone.
        const broken = await createTestDatabase(provider);
        try {
          await broken.prisma.$executeRawUnsafe('DROP TABLE "rate_limits"');
          const limiter = limiterOn(broken);
          const key = newKey();
          const answers = [];
          for (let i = 0; i < POINTS + 1; i++) answers.push((await consume(limiter, key)).allowed);
          expect(answers).toEqual([true, true, true, true, true, false]);
        } finally {
          await broken.dispose();
        }
      });
    });
  }
}
