import { PrismaClient as SqliteClient } from '../../generated/prisma-sqlite/client';
import { ConnectionGate, ConnectionWaitTimeout, SqliteConnection } from '../../data/sqliteConnection';
import { createTestDatabase } from '../helpers/database';
import { latch, tick } from '../helpers/async';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

async function pragma(db: Db, name: string): Promise<unknown> {
  const rows = await db.sql.query(`PRAGMA ${name}`);
  return Object.values(rows[0]!)[0];
}

describe('SQLite connection (better-sqlite3, one connection for Prisma and the plain-SQL runner)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite'); // migrating runs a transaction
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test('when transactions have run, then the connection keeps its pragmas (WAL, no fsync per commit, foreign keys, busy timeout, checkpoint every 4000 pages, a 4 MiB page cache)', async () => {
    await db.prisma.$transaction(async (tx) => {
      await tx.referenceCounter.create({ data: { year: 1999, last: 1 } });
    });
    await db.sql.transaction(async (tx) => tx.execute('UPDATE "reference_counters" SET "last" = 2 WHERE "year" = 1999'));
    expect(await pragma(db, 'journal_mode')).toBe('wal');
    expect(await pragma(db, 'synchronous')).toBe(1); // NORMAL
    expect(await pragma(db, 'foreign_keys')).toBe(1);
    expect(await pragma(db, 'busy_timeout')).toBe(5000);
    expect(await pragma(db, 'wal_autocheckpoint')).toBe(4000);
    expect(await pragma(db, 'cache_size')).toBe(-4000); // KiB; better-sqlite3's default is 16 MB
    // Foreign keys are enforced on the connection Prisma uses too.
    await expect(
      db.prisma.$executeRawUnsafe(`INSERT INTO "request_events" ("request_id", "action", "actor_id", "at") VALUES (999999, 'x', 'x', '2026-01-01')`),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  test('when the runner reads integers, then they are plain numbers (the Prisma adapter turns BigInt on for the connection)', async () => {
    await db.prisma.referenceCounter.create({ data: { year: 2000, last: 41 } });
    const [row] = await db.sql.query<{ year: unknown; last: unknown; n: unknown }>(
      'SELECT "year", "last", (SELECT COUNT(*) FROM "reference_counters") AS "n" FROM "reference_counters" WHERE "year" = ?',
      [2000],
    );
    expect(typeof row!.year).toBe('number');
    expect(typeof row!.last).toBe('number');
    expect(typeof row!.n).toBe('number');
    expect(await db.sql.execute('UPDATE "reference_counters" SET "last" = "last" + 1 WHERE "year" = ?', [2000])).toBe(1);
    expect((await db.prisma.referenceCounter.findUnique({ where: { year: 2000 } }))?.last).toBe(42);
    // The same statement text again (cached statement), other parameters.
    expect(await db.sql.execute('UPDATE "reference_counters" SET "last" = "last" + 1 WHERE "year" = ?', [1])).toBe(0);
  });

  test('when a runner statement has booleans and dates, then they are stored as 0/1 and as Prisma stores dates', async () => {
    const [row] = await db.sql.query<{ t: unknown; f: unknown; d: unknown }>('SELECT ? AS "t", ? AS "f", ? AS "d"', [
      true,
      false,
      new Date('2026-01-31T12:00:00.000Z'),
    ]);
    expect(row).toEqual({ t: 1, f: 0, d: '2026-01-31T12:00:00.000+00:00' });
  });

  test('when Prisma runs the same statement with other parameters, then each call gets its own rows (statements kept prepared)', async () => {
    await db.prisma.referenceCounter.createMany({ data: [{ year: 2040, last: 40 }, { year: 2041, last: 41 }] });
    const found = await Promise.all([2040, 2041, 2040, 1234].map((year) => db.prisma.referenceCounter.findUnique({ where: { year } })));
    expect(found.map((r) => r?.last ?? null)).toEqual([40, 41, 40, null]);
    for (const year of [2040, 2041]) {
      await db.prisma.referenceCounter.update({ where: { year }, data: { last: { increment: 1 } } });
    }
    expect((await db.prisma.referenceCounter.findMany({ where: { year: { in: [2040, 2041] } }, orderBy: { year: 'asc' } })).map((r) => r.last)).toEqual([41, 42]);
    const [raw] = await db.prisma.$queryRawUnsafe<{ n: unknown }[]>('SELECT COUNT(*) AS n FROM "reference_counters" WHERE "year" >= ?', 2040);
    expect(Number(raw!.n)).toBe(2);
  });

  test('when a Prisma transaction fails, then its writes are rolled back and the next queries work', async () => {
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.referenceCounter.create({ data: { year: 2001, last: 1 } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.prisma.referenceCounter.findUnique({ where: { year: 2001 } })).toBeNull();
    await db.prisma.referenceCounter.create({ data: { year: 2002, last: 7 } });
    expect((await db.prisma.referenceCounter.findUnique({ where: { year: 2002 } }))?.last).toBe(7);
  });

  test('when queries arrive while a Prisma transaction is open, then they wait for it and see its committed writes', async () => {
    const release = latch();
    const tx = db.prisma.$transaction(async (t) => {
      await t.referenceCounter.create({ data: { year: 2003, last: 3 } });
      await release.wait;
    });
    await tick(20);
    const outside = db.prisma.referenceCounter.findUnique({ where: { year: 2003 } });
    const outsideSql = db.sql.query<{ last: number }>('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [2003]);
    release.open();
    await tx;
    expect((await outside)?.last).toBe(3);
    expect((await outsideSql)[0]?.last).toBe(3);
  });

  test('when a Prisma transaction writes then throws after an await, then a concurrent non-transactional write (Prisma or plain SQL) survives', async () => {
    const written = latch();
    const proceed = latch();
    const failing = db.prisma.$transaction(async (t) => {
      await t.referenceCounter.create({ data: { year: 2010, last: 1 } });
      written.open();
      await proceed.wait;
      throw new Error('the transaction fails after an await');
    });
    await written.wait;
    // Another turn writes while the transaction is open.
    const prismaWrite = db.prisma.referenceCounter.create({ data: { year: 2011, last: 11 } });
    const sqlWrite = db.sql.execute('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)', [2012, 12]);
    let settled = false;
    void Promise.all([prismaWrite, sqlWrite]).then(() => (settled = true));
    await tick(30);
    expect(settled).toBe(false); // they wait for the transaction...
    proceed.open();
    await expect(failing).rejects.toThrow('the transaction fails after an await');
    await Promise.all([prismaWrite, sqlWrite]);
    // ...and are not rolled back with it.
    const years = (await db.prisma.referenceCounter.findMany({ where: { year: { gte: 2010, lte: 2012 } }, orderBy: { year: 'asc' } })).map((r) => r.year);
    expect(years).toEqual([2011, 2012]);
  });

  test('when a runner transaction is open, then Prisma queries outside it wait and are not rolled back with it', async () => {
    const written = latch();
    const proceed = latch();
    const failing = db.sql.transaction(async (tx) => {
      await tx.execute('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)', [2020, 1]);
      written.open();
      await proceed.wait;
      throw new Error('rolled back');
    });
    await written.wait;
    const prismaWrite = db.prisma.referenceCounter.create({ data: { year: 2021, last: 21 } });
    const prismaTx = db.prisma.$transaction(async (t) => t.referenceCounter.create({ data: { year: 2022, last: 22 } }));
    let settled = false;
    void Promise.all([prismaWrite, prismaTx]).then(() => (settled = true));
    await tick(30);
    expect(settled).toBe(false);
    proceed.open();
    await expect(failing).rejects.toThrow('rolled back');
    await Promise.all([prismaWrite, prismaTx]);
    const years = (await db.prisma.referenceCounter.findMany({ where: { year: { gte: 2020, lte: 2022 } }, orderBy: { year: 'asc' } })).map((r) => r.year);
    expect(years).toEqual([2021, 2022]);
  });

  test('when the outer runner or Prisma is used from inside a runner transaction, then it fails after the wait limit instead of waiting forever', async () => {
    const connection = new SqliteConnection(db.url, { waitTimeoutMs: 100 });
    const prisma = new SqliteClient({ adapter: connection.factory() });
    await prisma.$connect();
    const sql = connection.runner();
    try {
      await expect(
        sql.transaction(async (tx) => {
          await tx.execute('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)', [2030, 1]);
          await sql.execute('INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)', [2031, 1]);
        }),
      ).rejects.toThrow(ConnectionWaitTimeout);
      await expect(sql.transaction(async () => sql.transaction(async () => 1))).rejects.toThrow('waited 100 ms');
      await expect(sql.transaction(async () => prisma.referenceCounter.findMany())).rejects.toThrow('waited 100 ms');
      await expect(sql.transaction(async (tx) => tx.transaction(async () => 1))).rejects.toThrow('nested transactions are not supported');
      // Everything was rolled back, and the connection is free again.
      expect(await sql.query('SELECT "year" FROM "reference_counters" WHERE "year" IN (2030, 2031)')).toEqual([]);
      expect(await prisma.referenceCounter.count({ where: { year: { in: [2030, 2031] } } })).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });

  test('when the database is closed twice, then the second close is a no-op and the runner refuses', async () => {
    const other = await createTestDatabase('sqlite');
    await other.close();
    await other.close();
    await expect(other.sql.query('SELECT 1')).rejects.toThrow('not open');
    await other.dispose();
  });
});

describe('ConnectionGate', () => {
  test('when several wait, then they get the connection in the order they asked, one at a time', async () => {
    const gate = new ConnectionGate();
    const order: string[] = [];
    const first = await gate.acquire();
    const second = gate.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const statement = gate.run(() => order.push('statement'));
    const third = gate.acquire().then((release) => {
      order.push('third');
      release();
    });
    expect(gate.busy).toBe(true);
    order.push('first');
    first();
    first(); // twice: harmless
    (await second)();
    await statement;
    await third;
    expect(order).toEqual(['first', 'second', 'statement', 'third']);
    expect(gate.busy).toBe(false);
    expect(await gate.run(() => 'at once')).toBe('at once');
  });

  test('when a waiter gives up, then it leaves the line and the next one still gets the connection', async () => {
    const gate = new ConnectionGate();
    const held = await gate.acquire();
    const impatient = gate.acquire(20);
    const patient = gate.acquire();
    await expect(impatient).rejects.toThrow(ConnectionWaitTimeout);
    await expect(gate.run(() => 'late', 20)).rejects.toThrow('waited 20 ms');
    held();
    const release = await patient;
    expect(gate.busy).toBe(true);
    release();
    expect(gate.busy).toBe(false);
  });
});
