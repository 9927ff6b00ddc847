import type { SqlRunner } from '../../data/sql';
import { createTestDatabase, providersUnderTest } from '../helpers/database';
import { latch, tick } from '../helpers/async';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

const INSERT = 'INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)';

async function counter(sql: SqlRunner, year: number): Promise<number | undefined> {
  const rows = await sql.query<{ last: number }>('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [year]);
  return rows[0]?.last;
}

for (const provider of providersUnderTest()) {
  describe(`SqlRunner.transaction on ${provider}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await createTestDatabase(provider);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    test('when the callback resolves, then its writes are committed and its value returned', async () => {
      const result = await db.sql.transaction(async (tx) => {
        expect(tx.provider).toBe(provider);
        await tx.execute(INSERT, [3000, 1]);
        expect(await tx.execute('UPDATE "reference_counters" SET "last" = "last" + 1 WHERE "year" = ?', [3000])).toBe(1);
        const rows = await tx.query<{ last: number }>('SELECT "last" FROM "reference_counters" WHERE "year" = ?', [3000]);
        return rows[0]!.last;
      });
      expect(result).toBe(2);
      expect(typeof result).toBe('number');
      expect(await counter(db.sql, 3000)).toBe(2);
      expect((await db.prisma.referenceCounter.findUnique({ where: { year: 3000 } }))?.last).toBe(2);
    });

    test('when the callback throws, then every write is rolled back and the error is rethrown', async () => {
      const failure = new Error('callback failed');
      await expect(
        db.sql.transaction(async (tx) => {
          await tx.execute(INSERT, [3010, 1]);
          await tx.execute(INSERT, [3011, 1]);
          await tick(5);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await counter(db.sql, 3010)).toBeUndefined();
      expect(await counter(db.sql, 3011)).toBeUndefined();
      // The connection is usable afterwards.
      await db.sql.transaction((tx) => tx.execute(INSERT, [3012, 1]));
      expect(await counter(db.sql, 3012)).toBe(1);
    });

    test('when a statement fails inside, then the transaction rolls back and the statement error surfaces', async () => {
      await expect(
        db.sql.transaction(async (tx) => {
          await tx.execute(INSERT, [3020, 1]);
          await tx.execute(INSERT, [3020, 2]); // duplicate key
        }),
        // (Not toThrow(): better-sqlite3's SqliteError is an Error of the first jest test file that loaded the addon.)
      ).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE constraint failed|duplicate key/) });
      expect(await counter(db.sql, 3020)).toBeUndefined();
    });

    test('when a transaction is nested or its runner used after the end, then it is refused', async () => {
      let kept: SqlRunner | undefined;
      await expect(
        db.sql.transaction(async (tx) => {
          kept = tx;
          return tx.transaction(async () => 1);
        }),
      ).rejects.toThrow('nested transactions are not supported');
      await expect(kept!.query('SELECT 1 AS "one"')).rejects.toThrow('the transaction is over');
    });

    test('when a non-transactional statement is issued while a transaction is open, then it is not rolled back with it', async () => {
      const written = latch();
      const proceed = latch();
      const failing = db.sql.transaction(async (tx) => {
        await tx.execute(INSERT, [3030, 1]);
        written.open();
        await proceed.wait;
        throw new Error('rolled back');
      });
      await written.wait;
      let outsideDone = false;
      const outside = db.sql.execute(INSERT, [3031, 31]).then((n) => {
        outsideDone = true;
        return n;
      });
      await tick(30);
      // SQLite: one connection, so it waits for the transaction; PostgreSQL: another connection of the pool, so it need not.
      if (provider === 'sqlite') expect(outsideDone).toBe(false);
      proceed.open();
      await expect(failing).rejects.toThrow('rolled back');
      expect(await outside).toBe(1);
      expect(await counter(db.sql, 3030)).toBeUndefined();
      expect(await counter(db.sql, 3031)).toBe(31);
    });

    test('when transactions run concurrently, then each read-modify-write sees the previous one (no lost update)', async () => {
      await db.sql.execute(INSERT, [3040, 0]);
      // SQLite serializes transactions on its one connection; PostgreSQL needs the row lock (FOR UPDATE) to do the same.
      const lock = provider === 'postgresql' ? ' FOR UPDATE' : '';
      const n = 20;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.sql.transaction(async (tx) => {
            const [row] = await tx.query<{ last: number }>(`SELECT "last" FROM "reference_counters" WHERE "year" = ?${lock}`, [3040]);
            await tick(i % 3); // let the others try to interleave
            await tx.execute('UPDATE "reference_counters" SET "last" = ? WHERE "year" = ?', [row!.last + 1, 3040]);
            return row!.last + 1;
          }),
        ),
      );
      expect(await counter(db.sql, 3040)).toBe(n);
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    });

    test('when Prisma and runner transactions and statements mix, then all committed writes are there', async () => {
      const work = [];
      for (let i = 0; i < 10; i++) {
        const year = 3100 + i * 4;
        work.push(db.sql.transaction((tx) => tx.execute(INSERT, [year, i])));
        work.push(db.prisma.$transaction((tx) => tx.referenceCounter.create({ data: { year: year + 1, last: i } })));
        work.push(db.sql.execute(INSERT, [year + 2, i]));
        work.push(db.prisma.referenceCounter.create({ data: { year: year + 3, last: i } }));
      }
      await Promise.all(work);
      expect(await db.prisma.referenceCounter.count({ where: { year: { gte: 3100, lt: 3140 } } })).toBe(40);
    });
  });
}

for (const provider of providersUnderTest()) {
  describe(`array parameters on ${provider}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await createTestDatabase(provider);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    if (provider === 'postgresql') {
      test('when an array holds dates, then each is sent as a single date is (UTC, as Prisma stores it), whatever the process zone', async () => {
        const when = new Date('2026-11-23T15:04:05.678Z');
        const [row] = await db.sql.query<{ inArray: string; alone: string }>('SELECT (?::TEXT[])[1] AS "inArray", CAST(? AS TEXT) AS "alone"', [[when, null], when]);
        expect(row).toEqual({ inArray: '2026-11-23T15:04:05.678', alone: '2026-11-23T15:04:05.678' });
      });
    } else {
      test('when a statement is given an array, then SQLite refuses it', async () => {
        await expect(db.sql.query('SELECT ? AS "a"', [['x']])).rejects.toMatchObject({ message: 'SQLite takes no array parameter' });
      });
    }
  });
}
