import { createTestDatabase } from '../helpers/database';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

async function pragma(db: Db, name: string): Promise<number> {
  const rows = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return Number(Object.values(rows[0]!)[0]);
}

describe('SQLite connection (libSQL driver adapter)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite'); // migrating runs a transaction
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test('when transactions have run, then the connection keeps its pragmas (no fsync per commit, foreign keys, busy timeout)', async () => {
    await db.prisma.$transaction(async (tx) => {
      await tx.referenceCounter.create({ data: { year: 1999, last: 1 } });
    });
    expect(await pragma(db, 'synchronous')).toBe(1); // NORMAL
    expect(await pragma(db, 'foreign_keys')).toBe(1);
    expect(await pragma(db, 'busy_timeout')).toBe(5000);
  });

  test('when a transaction fails, then its writes are rolled back and the next queries work', async () => {
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

  test('when queries arrive while a transaction is open, then they wait for it and see its committed writes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = db.prisma.$transaction(async (t) => {
      await t.referenceCounter.create({ data: { year: 2003, last: 3 } });
      await gate;
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = db.prisma.referenceCounter.findUnique({ where: { year: 2003 } });
    release();
    await tx;
    expect((await outside)?.last).toBe(3);
  });
});
