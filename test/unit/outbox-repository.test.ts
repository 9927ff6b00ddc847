import { openDatabase, type Database, type Db } from '../../data/db';
import { OutboxRepository, outboxStatements, type OutboxRecord } from '../../data/outboxRepository';
import { sqlRunnerOf } from '../../data/sql';
import { SECOND } from '../helpers/clock';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const T0 = new Date('2026-03-02T15:00:00.123Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

for (const provider of providersUnderTest()) {
  for (const path of ['plain SQL', 'Prisma'] as const) {
    describe(`outbox repository on ${provider} (${path})`, () => {
      let db: TestDb;
      /** A second connection to the same database, as a second instance has. */
      let other: Database;
      let repo: OutboxRepository;
      const clientOf = (database: Database): Db => (path === 'plain SQL' ? database.prisma : (database.prisma.$extends({}) as unknown as Db));
      let seq = 0;

      beforeAll(async () => {
        db = await createTestDatabase(provider);
        other = await openDatabase(db.url);
        repo = new OutboxRepository(clientOf(db));
      });
      afterAll(async () => {
        await other?.close();
        await db?.dispose();
      });
      // Each test starts from an empty queue.
      beforeEach(async () => {
        await db.prisma.outboxMessage.deleteMany();
      });

      const enqueue = (extra: { orderingKey?: string; notBefore?: Date; createdAt?: Date } = {}) =>
        repo.enqueue({ kind: 'test.kind', target: { type: 'conversation', conversationId: `a:c-${++seq}` }, payload: { n: seq }, orderingKey: extra.orderingKey, notBefore: extra.notBefore }, extra.createdAt ?? T0);

      test(`when the repository is built on this client, then it ${path === 'plain SQL' ? 'uses' : 'does not use'} the plain-SQL runner`, () => {
        expect(sqlRunnerOf(clientOf(db)) !== undefined).toBe(path === 'plain SQL');
      });

      test('when due rows are claimed, then the oldest come first, locked for the owner, with every field as Prisma reads it', async () => {
        const a = await enqueue();
        const b = await enqueue({ orderingKey: 'k-b' });
        await enqueue({ notBefore: at(60 * SECOND) });
        const lockedUntil = at(90 * SECOND);
        const claimed = await repo.claimDue('me', at(SECOND), lockedUntil, 5);
        expect(claimed.map((m) => m.id)).toEqual([a.id, b.id]);
        for (const m of claimed) {
          const stored = (await repo.findById(m.id))!;
          expect(stored).toMatchObject({ lockOwner: 'me', status: 'pending', attempts: 0 });
          expect(stored.lockedUntil!.toISOString()).toBe(lockedUntil.toISOString());
          expect(m).toEqual({ ...stored });
        }
        expect(claimed[0]).toMatchObject({ kind: 'test.kind', target: a.target, payload: a.payload, nextAttemptAt: T0, createdAt: T0, sentAt: null, orderingKey: null });
        expect(claimed[1]!.orderingKey).toBe('k-b');
        // Claimed rows are not claimable again while their lock holds, and are once it has expired.
        expect(await repo.claimDue('other', at(2 * SECOND), at(100 * SECOND), 5)).toEqual([]);
        expect((await repo.claimDue('other', at(91 * SECOND), at(200 * SECOND), 5)).map((m) => m.id)).toEqual([a.id, b.id, a.id + 2]);
      });

      test('when a row waits behind an older pending row of its ordering key, then it is not claimed, and rows behind many such rows still are', async () => {
        const waiting: OutboxRecord[] = [];
        // Six ordering keys whose first row must wait (retry later), each with a second row already due.
        for (let i = 0; i < 6; i++) {
          const first = await enqueue({ orderingKey: `key-${i}` });
          const [held] = await repo.claimDue('me', T0, at(SECOND), 1);
          expect(held!.id).toBe(first.id);
          expect(await repo.markRetry(first.id, 'me', T0, at(60 * SECOND), 'HTTP 503')).toBe(true);
          waiting.push(await enqueue({ orderingKey: `key-${i}` }));
        }
        const free = await enqueue();
        const claimed = await repo.claimDue('me', at(SECOND), at(90 * SECOND), 1);
        expect(claimed.map((m) => m.id)).toEqual([free.id]);
        expect(await repo.claimDue('me', at(2 * SECOND), at(90 * SECOND), 10)).toEqual([]);
        // Once the first rows are due, each key delivers its first row, never its second before it.
        const next = await repo.claimDue('me', at(61 * SECOND), at(200 * SECOND), 20);
        expect(next.map((m) => m.orderingKey)).toEqual(['key-0', 'key-1', 'key-2', 'key-3', 'key-4', 'key-5']);
        expect(next.every((m) => m.attempts === 1)).toBe(true);
      });

      test('when a claimed row is marked sent, retried or failed, then only its holder can do it, and the row records it', async () => {
        const [a, b, c] = [await enqueue(), await enqueue(), await enqueue()];
        await repo.claimDue('me', T0, at(60 * SECOND), 3);
        expect(await repo.markSent(a.id, 'someone-else', at(SECOND), { activityId: 'x' })).toBe(false);
        expect(await repo.markSent(a.id, 'me', at(SECOND), { activityId: 'act-1', conversationId: 'a:conv' })).toBe(true);
        expect(await repo.markSent(a.id, 'me', at(2 * SECOND), { activityId: 'act-2' })).toBe(false);
        expect(await repo.findById(a.id)).toMatchObject({ status: 'sent', attempts: 1, activityId: 'act-1', conversationId: 'a:conv', lockOwner: null, lockedUntil: null, lastError: null, sentAt: at(SECOND), updatedAt: at(SECOND) });

        expect(await repo.markRetry(b.id, 'someone-else', at(SECOND), at(10 * SECOND), 'HTTP 502')).toBe(false);
        expect(await repo.markRetry(b.id, 'me', at(SECOND), at(10 * SECOND), 'HTTP 502')).toBe(true);
        expect(await repo.findById(b.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 502', nextAttemptAt: at(10 * SECOND), lockOwner: null, lockedUntil: null, sentAt: null });
        expect(await repo.claimDue('me', at(9 * SECOND), at(60 * SECOND), 5)).toEqual([]);

        expect(await repo.markFailed(c.id, 'someone-else', at(SECOND), 'HTTP 403')).toBe(false);
        expect(await repo.markFailed(c.id, 'me', at(SECOND), 'HTTP 403')).toBe(true);
        expect(await repo.findById(c.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 403', lockOwner: null, updatedAt: at(SECOND) });
        expect((await repo.claimDue('me', at(10 * SECOND), at(60 * SECOND), 5)).map((m) => m.id)).toEqual([b.id]);
      });

      test('when the health is read, then it counts pending and failed rows and lists the oldest failures without payloads', async () => {
        expect(await repo.health()).toEqual({ pending: 0, failed: 0, oldestPendingAt: null, failures: [] });
        await enqueue({ createdAt: at(5 * SECOND) });
        await enqueue({ createdAt: at(3 * SECOND) });
        const failing = await enqueue({ createdAt: at(4 * SECOND) });
        const sent = await enqueue();
        await repo.claimDue('me', at(10 * SECOND), at(60 * SECOND), 10);
        await repo.markFailed(failing.id, 'me', at(11 * SECOND), 'HTTP 404');
        await repo.markSent(sent.id, 'me', at(11 * SECOND));
        expect(await repo.health()).toEqual({
          pending: 2,
          failed: 1,
          oldestPendingAt: at(3 * SECOND).toISOString(),
          failures: [{ id: failing.id, kind: 'test.kind', attempts: 1, lastError: 'HTTP 404', at: at(11 * SECOND).toISOString() }],
        });
      });

      test('when two instances claim the same queue at once, then no row is claimed twice and every row is claimed', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 30; i++) ids.push((await enqueue()).id);
        const second = new OutboxRepository(clientOf(other));
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? repo : second).claimDue(`instance-${i % 2}`, at(SECOND), at(60 * SECOND), 1)),
        );
        const claimed = claims.flat().map((m) => m.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        const rest = await repo.claimDue('late', at(SECOND), at(60 * SECOND), 40);
        expect([...claimed, ...rest.map((m) => m.id)].sort((a, b) => a - b)).toEqual(ids);
        // Every claim is recorded with the owner that got it.
        for (const m of claims.flat()) expect((await repo.findById(m.id))!.lockOwner).toBe(m.lockOwner);
      });
    });
  }
}

for (const provider of providersUnderTest()) {
  describe(`outbox claim with a long history on ${provider}`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await createTestDatabase(provider);
    });
    afterAll(async () => db?.dispose());

    test('when thousands of rows were sent and a few are pending, then the claim reads the pending rows by the partial index, not the whole history', async () => {
      const sql = sqlRunnerOf(db.prisma)!;
      const series =
        provider === 'postgresql'
          ? (n: number) => `SELECT g FROM generate_series(1, ${n}) AS g`
          : (n: number) => `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${n}) SELECT g FROM s`;
      const insert = (status: string, n: number) =>
        sql.execute(
          `INSERT INTO "outbox_messages" ("kind", "target", "payload", "ordering_key", "status", "next_attempt_at", "created_at", "updated_at")
           SELECT 'managers.requestCard', '{"type":"channel","teamId":"19:t"}', '{}', 'request:' || CAST(g AS TEXT) || ':${status}', ?, ?, ?, ? FROM (${series(n)}) AS "series"`,
          [status, T0, T0, T0],
        );
      await insert('sent', 5000);
      await insert('pending', 20);
      await sql.execute('ANALYZE');
      const claim = outboxStatements(sql).claim;
      const params = [at(1000), at(1000), 4, 'me', at(60_000), at(1000), at(1000)];
      const plan = (await sql.query<Record<string, unknown>>(`EXPLAIN ${provider === 'sqlite' ? 'QUERY PLAN ' : ''}${claim}`, params))
        .map((row) => String(row['QUERY PLAN'] ?? row.detail))
        .join('\n');
      expect(plan).toContain('outbox_messages_pending_id_idx');
      // And the claim still takes the oldest pending rows.
      const claimed = await new OutboxRepository(db.prisma).claimDue('me', at(1000), at(60_000), 4);
      expect(claimed.map((m) => m.orderingKey)).toEqual(['request:1:pending', 'request:2:pending', 'request:3:pending', 'request:4:pending']);
    });

    test('when a backlog of pending rows each has its ordering key and the table was never analyzed, then the claim looks up older rows of a key by the key, not by walking every older pending row', async () => {
      // As in the bench: a young table (autovacuum has not analyzed it), hundreds of cards pending, half of them in flight.
      const sql = sqlRunnerOf(db.prisma)!;
      await sql.execute('DELETE FROM "outbox_messages"');
      const series =
        provider === 'postgresql'
          ? (n: number) => `SELECT g FROM generate_series(1, ${n}) AS g`
          : (n: number) => `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${n}) SELECT g FROM s`;
      const insert = (from: number, lockedUntil: Date | null) =>
        sql.execute(
          `INSERT INTO "outbox_messages" ("kind", "target", "payload", "ordering_key", "status", "next_attempt_at", "locked_until", "created_at", "updated_at")
           SELECT 'managers.requestCard', '{"type":"channel","teamId":"19:t"}', '{}', 'access_requests:' || CAST(g + ${from} AS TEXT), 'pending', ?, ?, ?, ?
           FROM (${series(100)}) AS "series"`,
          [T0, lockedUntil, T0, T0],
        );
      await insert(0, at(60_000));
      await insert(100, null);
      const claim = outboxStatements(sql).claim;
      const params = [at(1000), at(1000), 10, 'me', at(60_000), at(1000), at(1000)];
      const plan = (await sql.query<Record<string, unknown>>(`EXPLAIN ${provider === 'sqlite' ? 'QUERY PLAN ' : ''}${claim}`, params))
        .map((row) => String(row['QUERY PLAN'] ?? row.detail))
        .join('\n');
      // PostgreSQL uses 0006's index; SQLite already found the key in the (ordering key, status) index, which holds the rowid.
      if (provider === 'postgresql') expect(plan).toMatch(/Index Only Scan using outbox_messages_pending_ordering_key_id_idx on outbox_messages o\s+.*\n\s+Index Cond: \(\(ordering_key = m\.ordering_key\) AND \(id < m\.id\)\)/);
      else {
        expect(plan).toMatch(/SEARCH o USING COVERING INDEX outbox_messages_(pending_ordering_key_id_idx|ordering_key_status_idx) \(ordering_key=\?/);
        // SQLite walks the pending rows in id order and stops at the limit (no sort of every due row), and updates the
        // claimed rows by rowid (no scan of every pending row).
        expect(plan).toContain('SCAN m USING INDEX outbox_messages_pending_id_idx');
        expect(plan).not.toContain('TEMP B-TREE');
        expect(plan).toContain('SEARCH outbox_messages USING INTEGER PRIMARY KEY (rowid=?)');
      }
      // The rows in flight are skipped; the oldest free ones are claimed.
      const claimed = await new OutboxRepository(db.prisma).claimDue('me', at(1000), at(60_000), 3);
      expect(claimed.map((m) => m.orderingKey)).toEqual(['access_requests:101', 'access_requests:102', 'access_requests:103']);
    });
  });
}
