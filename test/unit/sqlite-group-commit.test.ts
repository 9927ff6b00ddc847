import { PrismaClient as SqliteClient } from '../../generated/prisma-sqlite/client';
import { ConnectionWaitTimeout, SqliteConnection } from '../../data/sqliteConnection';
import type { SqlRunner } from '../../data/sql';
import { createTestDatabase } from '../helpers/database';
import { latch, tick } from '../helpers/async';

const INSERT = 'INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)';
const INCREMENT = 'UPDATE "reference_counters" SET "last" = "last" + 1 WHERE "year" = ?';

/** What each promise came to, in order: its value, or its error's message. */
async function outcomes(promises: Promise<unknown>[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : `error: ${(s.reason as Error).message}`));
}

describe('SQLite group commit (runner statements outside a transaction, committed together)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let connection: SqliteConnection;
  let prisma: SqliteClient;
  let sql: SqlRunner;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    await db.close(); // migrated; reopened below on a connection of our own, to read its counts
    connection = new SqliteConnection(db.url, { waitTimeoutMs: 2000 });
    prisma = new SqliteClient({ adapter: connection.factory() });
    await prisma.$connect();
    sql = connection.runner();
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.dispose();
  });

  async function years(from: number, to: number): Promise<number[]> {
    const rows = await sql.query<{ year: number }>('SELECT "year" FROM "reference_counters" WHERE "year" BETWEEN ? AND ? ORDER BY "year"', [from, to]);
    return rows.map((r) => r.year);
  }

  async function last(year: number): Promise<number | undefined> {
    return (await sql.query<{ last: number }>('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [year]))[0]?.last;
  }

  test('when callers issue statements in the same iteration, then they are committed in one batch and each gets its own result', async () => {
    await sql.execute(INSERT, [5000, 1]);
    await sql.execute(INSERT, [5001, 1]);
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INSERT, [5002, 7]),
      sql.execute('UPDATE "reference_counters" SET "last" = "last" + 10 WHERE "year" IN (5000, 5001)'),
      sql.execute(INCREMENT, [4999]),
      sql.query('SELECT "year", "last" FROM "reference_counters" WHERE "year" BETWEEN 5000 AND 5002 ORDER BY "year"'),
      sql.query('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?) RETURNING "year", "last" * 2 AS "double"', [5003, 21]),
      sql.query('DELETE FROM "reference_counters" WHERE "year" = ?', [5003]),
    ]);
    expect(results).toEqual([
      1,
      2,
      0,
      [
        { year: 5000, last: 11 },
        { year: 5001, last: 11 },
        { year: 5002, last: 7 },
      ],
      [{ year: 5003, double: 42 }],
      [],
    ]);
    const after = connection.groupCommitStats;
    expect(after.batches - before.batches).toBe(1);
    expect(after.batchedStatements - before.batchedStatements).toBe(6);
    expect(await prisma.referenceCounter.findMany({ where: { year: { gte: 5000, lte: 5003 } }, select: { year: true, last: true }, orderBy: { year: 'asc' } })).toEqual([
      { year: 5000, last: 11 },
      { year: 5001, last: 11 },
      { year: 5002, last: 7 },
    ]);
  });

  test('when one statement of a batch violates a unique key, then only its caller gets the error and the others are committed', async () => {
    await sql.execute(INSERT, [5010, 1]);
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INSERT, [5011, 1]),
      sql.execute(INCREMENT, [5010]),
      sql.execute(INSERT, [5010, 99]), // duplicate
      sql.execute(INSERT, [5012, 1]),
    ]);
    expect(results).toEqual([1, 1, expect.stringMatching(/UNIQUE constraint failed/), 1]);
    const after = connection.groupCommitStats;
    expect(after.batches - before.batches).toBe(1);
    expect(after.fallbacks - before.fallbacks).toBe(0);
    expect(await years(5010, 5012)).toEqual([5010, 5011, 5012]);
    expect(await last(5010)).toBe(2);
  });

  test('when a row is inserted then updated then read in one batch, then the statements run in the order they were issued', async () => {
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INSERT, [5020, 1]),
      sql.execute(INCREMENT, [5020]),
      sql.query('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [5020]),
      sql.execute('UPDATE "reference_counters" SET "last" = "last" * 10 WHERE "year" = ?', [5020]),
      sql.execute('DELETE FROM "reference_counters" WHERE "year" = ?', [5020]),
      sql.execute(INSERT, [5020, 3]),
    ]);
    expect(results).toEqual([1, 1, [{ last: 2 }], 1, 1, 1]);
    expect(connection.groupCommitStats.batches - before.batches).toBe(1);
    expect(await last(5020)).toBe(3);
  });

  test('when statements run together, then they run back to back in one entry of a batch, each decided on the one before, and a failure keeps what ran before it', async () => {
    await sql.execute(INSERT, [5190, 1]);
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INCREMENT, [5190]),
      sql.together!((s) => {
        const inserted = s.execute('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?) ON CONFLICT ("year") DO NOTHING', [5190, 100]);
        // Only when the first one changed nothing; what the other entry of the batch did before is seen.
        if (inserted === 0) s.execute(INCREMENT, [5190]);
        return s.query<{ last: number }>('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [5190]);
      }),
      sql.together!((s) => {
        s.execute(INSERT, [5191, 1]);
        s.execute(INSERT, [5190, 1]); // unique key: fails, the insert of 5191 stays
        return 'unreachable';
      }),
      sql.together!((s) => s.execute('COMMIT')),
    ]);
    expect(results).toEqual([1, [{ last: 3 }], expect.stringMatching(/^error: .*UNIQUE/), 'error: together: transaction control is not allowed']);
    expect(connection.groupCommitStats.batches - before.batches).toBe(1);
    expect(await years(5190, 5191)).toEqual([5190, 5191]);
  });

  test('when 200 callers write at once, then every write is committed, in batches of at most 64', async () => {
    const before = connection.groupCommitStats;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sql.execute(INSERT, [6000 + i, i])));
    expect(results).toEqual(Array.from({ length: 200 }, () => 1));
    const after = connection.groupCommitStats;
    expect(after.batchedStatements - before.batchedStatements).toBe(200);
    expect(after.batches - before.batches).toBe(4); // 64 + 64 + 64 + 8
    expect(await prisma.referenceCounter.count({ where: { year: { gte: 6000, lt: 6200 } } })).toBe(200);
    expect((await sql.query<{ total: number }>('SELECT SUM("last") AS "total" FROM "reference_counters" WHERE "year" BETWEEN 6000 AND 6199'))[0]?.total).toBe(19900);
  });

  test('when a Prisma interactive transaction is open, then a batch waits for it and is not rolled back with it', async () => {
    const written = latch();
    const proceed = latch();
    const failing = prisma.$transaction(async (t) => {
      await t.referenceCounter.create({ data: { year: 5030, last: 1 } });
      written.open();
      await proceed.wait;
      throw new Error('the transaction fails');
    });
    await written.wait;
    const before = connection.groupCommitStats;
    const batch = Promise.all([sql.execute(INSERT, [5031, 1]), sql.execute(INSERT, [5032, 1]), sql.query('SELECT COUNT(*) AS "n" FROM "reference_counters" WHERE "year" = 5030')]);
    let settled = false;
    void batch.then(() => (settled = true));
    await tick(30);
    expect(settled).toBe(false);
    expect(connection.groupCommitStats.batches).toBe(before.batches); // not run yet
    proceed.open();
    await expect(failing).rejects.toThrow('the transaction fails');
    // The read ran after the transaction's rollback: it does not see the transaction's row.
    expect(await batch).toEqual([1, 1, [{ n: 0 }]]);
    expect(connection.groupCommitStats.batches - before.batches).toBe(1);
    expect(await years(5030, 5032)).toEqual([5031, 5032]);
  });

  test('when a runner transaction is open, then a batch waits for it and the transaction waits for nothing of it', async () => {
    const proceed = latch();
    const tx = sql.transaction(async (t) => {
      await t.execute(INSERT, [5040, 1]);
      await proceed.wait;
      return t.query<{ n: number }>('SELECT COUNT(*) AS "n" FROM "reference_counters" WHERE "year" BETWEEN 5040 AND 5042');
    });
    await tick(5);
    const batch = Promise.all([sql.execute(INSERT, [5041, 1]), sql.execute(INSERT, [5042, 1])]);
    await tick(20);
    proceed.open();
    expect(await tx).toEqual([{ n: 1 }]); // the batch has not run inside the transaction
    expect(await batch).toEqual([1, 1]);
    expect(await years(5040, 5042)).toEqual([5040, 5041, 5042]);
  });

  test('when an error ends the batch transaction, then nothing of it was committed and its statements run again one by one', async () => {
    await sql.execute(INSERT, [5050, 1]);
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INCREMENT, [5050]),
      sql.execute(INSERT, [5051, 1]),
      // OR ROLLBACK: a constraint error that rolls back the whole transaction, not only the statement.
      sql.execute('INSERT OR ROLLBACK INTO "reference_counters" ("year", "last") VALUES (?, ?)', [5050, 9]),
      sql.query('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [5050]),
      sql.execute(INSERT, [5052, 1]),
    ]);
    expect(results).toEqual([1, 1, expect.stringMatching(/UNIQUE constraint failed/), [{ last: 2 }], 1]);
    const after = connection.groupCommitStats;
    expect(after.fallbacks - before.fallbacks).toBe(1);
    expect(after.batches - before.batches).toBe(0);
    expect(after.alone - before.alone).toBe(5);
    expect(await last(5050)).toBe(2); // incremented once, not twice
    expect(await years(5050, 5052)).toEqual([5050, 5051, 5052]);
  });

  test('when a statement run together ends the batch transaction and the callback catches it, then the batch still runs again one by one', async () => {
    await sql.execute(INSERT, [5260, 1]);
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INCREMENT, [5260]),
      sql.together!((s) => {
        s.execute(INSERT, [5261, 1]);
        try {
          s.execute('INSERT OR ROLLBACK INTO "reference_counters" ("year", "last") VALUES (?, ?)', [5260, 9]);
        } catch {
          // handled by the caller; the transaction it ended is the batch's concern
        }
        return 'done';
      }),
      sql.execute(INSERT, [5262, 1]),
    ]);
    expect(results).toEqual([1, 'done', 1]);
    expect(connection.groupCommitStats.fallbacks - before.fallbacks).toBe(1);
    expect(await last(5260)).toBe(2); // incremented once, not twice
    expect(await years(5260, 5262)).toEqual([5260, 5261, 5262]);
  });

  test('when COMMIT fails (a deferred foreign key), then the batch is rolled back and its statements run again one by one', async () => {
    await sql.execute('CREATE TABLE IF NOT EXISTS "gc_parent" ("id" INTEGER PRIMARY KEY)');
    await sql.execute('CREATE TABLE IF NOT EXISTS "gc_child" ("id" INTEGER PRIMARY KEY, "parent" INTEGER REFERENCES "gc_parent" ("id") DEFERRABLE INITIALLY DEFERRED)');
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INSERT, [5060, 1]),
      sql.execute('INSERT INTO "gc_child" ("id", "parent") VALUES (?, ?)', [1, 404]), // only checked at COMMIT
      sql.execute('INSERT INTO "gc_parent" ("id") VALUES (?)', [1]),
      sql.execute('INSERT INTO "gc_child" ("id", "parent") VALUES (?, ?)', [2, 1]),
    ]);
    expect(results).toEqual([1, expect.stringMatching(/FOREIGN KEY constraint failed/), 1, 1]);
    expect(connection.groupCommitStats.fallbacks - before.fallbacks).toBe(1);
    expect(await years(5060, 5060)).toEqual([5060]);
    expect(await sql.query('SELECT "id", "parent" FROM "gc_child" ORDER BY "id"')).toEqual([{ id: 2, parent: 1 }]);
  });

  test('when a statement is alone in its iteration, then it runs without BEGIN/COMMIT', async () => {
    const before = connection.groupCommitStats;
    expect(await sql.execute(INSERT, [5070, 1])).toBe(1);
    await expect(sql.execute(INSERT, [5070, 1])).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE/) }); // SqliteError is not an Error of jest's realm
    const after = connection.groupCommitStats;
    expect(after.alone - before.alone).toBe(2);
    expect(after.batches).toBe(before.batches);
  });

  test('when a statement that cannot run in a transaction is queued with others, then it runs alone in its turn', async () => {
    const before = connection.groupCommitStats;
    const results = await outcomes([
      sql.execute(INSERT, [5080, 1]),
      sql.execute(INSERT, [5081, 1]),
      sql.execute('VACUUM'), // fails inside a transaction
      sql.execute(INSERT, [5082, 1]),
      sql.query('PRAGMA journal_mode'),
    ]);
    expect(results).toEqual([1, 1, 0, 1, [{ journal_mode: 'wal' }]]);
    const after = connection.groupCommitStats;
    expect(after.batches - before.batches).toBe(1); // 5080 and 5081; the others alone
    expect(after.alone - before.alone).toBe(3);
    expect(await years(5080, 5082)).toEqual([5080, 5081, 5082]);
  });

  test('when a statement from inside a runner transaction goes through the outer runner, then its batch fails after the wait limit', async () => {
    const impatient = new SqliteConnection(db.url, { waitTimeoutMs: 50 });
    const adapter = await impatient.factory().connect();
    const outer = impatient.runner();
    try {
      await expect(outer.transaction(async () => outer.execute(INSERT, [5090, 1]))).rejects.toThrow(ConnectionWaitTimeout);
      expect(await outer.query('SELECT "year" FROM "reference_counters" WHERE "year" = 5090')).toEqual([]);
    } finally {
      await adapter.dispose();
    }
  });

  test('when the connection closes with statements queued, then they are run first, or fail if a transaction holds the connection; close does not hang', async () => {
    const other = new SqliteConnection(db.url);
    const client = new SqliteClient({ adapter: other.factory() });
    await client.$connect();
    const runner = other.runner();
    const queued = Promise.all([runner.execute(INSERT, [5100, 1]), runner.execute(INSERT, [5101, 1])]);
    await client.$disconnect();
    expect(await queued).toEqual([1, 1]);
    expect(await years(5100, 5101)).toEqual([5100, 5101]);
    await expect(runner.execute(INSERT, [5102, 1])).rejects.toThrow('not open');

    const third = new SqliteConnection(db.url);
    const adapter = await third.factory().connect();
    const runner3 = third.runner();
    const proceed = latch();
    const holding = runner3.transaction(async () => proceed.wait);
    await tick(5);
    const waiting = outcomes([runner3.execute(INSERT, [5103, 1]), runner3.execute(INSERT, [5104, 1])]);
    await adapter.dispose();
    expect(await waiting).toEqual(['error: the SQLite connection is closed', 'error: the SQLite connection is closed']);
    proceed.open();
    await expect(holding).rejects.toThrow(); // its COMMIT finds the connection closed
    expect(await years(5103, 5104)).toEqual([]);
  });
});
