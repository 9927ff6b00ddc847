import BetterSqlite3 from 'better-sqlite3';
import { SqliteConnection, WAL_AUTOCHECKPOINT_PAGES, WAL_BACKSTOP_PAGES } from '../../data/sqliteConnection';
import { BackgroundCheckpointer } from '../../data/sqliteCheckpointer';
import type { SqlRunner } from '../../data/sql';
import { createTestDatabase } from '../helpers/database';
import { tick } from '../helpers/async';

const INSERT = 'INSERT INTO "reference_counters" ("year", "last") VALUES (?, ?)';

type Adapter = Awaited<ReturnType<ReturnType<SqliteConnection['factory']>['connect']>>;

/** Polls `check` every 20 ms until it holds (or `ms` passed); returns whether it held. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await tick(20);
  }
  return check();
}

async function autocheckpoint(sql: SqlRunner): Promise<number> {
  const rows = await sql.query<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint');
  return rows[0]!.wal_autocheckpoint;
}

/** Rows inserted in batches of 50 (one group commit each), `years` from `from`. */
async function insertMany(sql: SqlRunner, from: number, count: number): Promise<void> {
  for (let start = 0; start < count; start += 50) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 50); i++) batch.push(sql.execute(INSERT, [from + i, i]));
    await Promise.all(batch);
  }
}

describe('SQLite checkpoints off the event loop (a worker thread, under sustained writes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const opened: Adapter[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    await db.close(); // migrated; reopened below on connections of our own
  });
  afterAll(async () => {
    for (const adapter of opened) await adapter.dispose().catch(() => undefined);
    await db?.dispose();
  });

  async function open(options: ConstructorParameters<typeof SqliteConnection>[1]): Promise<{ connection: SqliteConnection; sql: SqlRunner; adapter: Adapter }> {
    const connection = new SqliteConnection(db.url, options);
    const adapter = await connection.factory().connect();
    opened.push(adapter);
    return { connection, sql: connection.runner(), adapter };
  }

  test('when commits do not stall, then no thread starts and the connection checkpoints by itself at 4000 pages', async () => {
    const { connection, sql, adapter } = await open({ backgroundCheckpoint: { stallMs: 60_000 } });
    await insertMany(sql, 10_000, 200);
    expect(connection.checkpointStats).toMatchObject({ running: false, starts: 0 });
    expect(await autocheckpoint(sql)).toBe(WAL_AUTOCHECKPOINT_PAGES);
    await adapter.dispose();
  });

  test('when a commit stalls, then the thread starts, the connection backs off to the backstop, and the thread copies the WAL', async () => {
    // stallMs 0: any commit counts as a stall, so the first group commit starts the thread.
    const { connection, sql, adapter } = await open({ backgroundCheckpoint: { stallMs: 0, intervalMs: 20 } });
    await insertMany(sql, 20_000, 50);
    expect(connection.checkpointStats).toMatchObject({ running: true, starts: 1 });
    expect(await autocheckpoint(sql)).toBe(WAL_BACKSTOP_PAGES);
    await insertMany(sql, 20_050, 500);
    expect(await eventually(() => (connection.checkpointStats?.framesCheckpointed ?? 0) > 0)).toBe(true);
    expect(connection.checkpointStats).toMatchObject({ errors: 0, failures: 0 });
    // Everything written while the thread checkpointed is there, and the file is sound, from another connection.
    const check = new BetterSqlite3(db.url.slice('file:'.length), { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) AS n FROM "reference_counters" WHERE "year" BETWEEN 20000 AND 20549').get()).toEqual({ n: 550 });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
    await adapter.dispose();
    expect(connection.checkpointStats?.running).toBe(false);
  });

  test('when writes become rare, then the thread stops and the connection checkpoints by itself again', async () => {
    const { connection, sql, adapter } = await open({ backgroundCheckpoint: { stallMs: 0, intervalMs: 20, quietCheckMs: 150, quietCommits: 5 } });
    await insertMany(sql, 30_000, 100);
    expect(connection.checkpointStats?.running).toBe(true);
    // No commit for a few quiet checks.
    expect(await eventually(() => connection.checkpointStats?.running === false, 3000)).toBe(true);
    expect(await autocheckpoint(sql)).toBe(WAL_AUTOCHECKPOINT_PAGES);
    // A new stall starts it again.
    await insertMany(sql, 30_100, 50);
    expect(connection.checkpointStats).toMatchObject({ running: true, starts: 2 });
    await adapter.dispose();
  });

  test('when the thread cannot run, then the connection goes back to its own checkpoints for good, and writes go on', async () => {
    const reasons: Error[] = [];
    const { connection, sql, adapter } = await open({
      backgroundCheckpoint: { stallMs: 0, intervalMs: 20, driver: '/nonexistent/better-sqlite3', onFailure: (reason) => reasons.push(reason) },
    });
    await insertMany(sql, 40_000, 50);
    expect(await eventually(() => connection.checkpointStats?.failures === 1)).toBe(true);
    // Said once, with why, for the logs.
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.message).toMatch(/nonexistent\/better-sqlite3/);
    expect(await autocheckpoint(sql)).toBe(WAL_AUTOCHECKPOINT_PAGES);
    await insertMany(sql, 40_050, 100);
    expect(connection.checkpointStats).toMatchObject({ running: false, starts: 1, failures: 1 });
    expect(await sql.query('SELECT count(*) AS n FROM "reference_counters" WHERE "year" BETWEEN 40000 AND 40149')).toEqual([{ n: 150 }]);
    await adapter.dispose();
  });

  test('when the thread cannot even be created, then the commit that stalled still succeeds once for its callers', async () => {
    const start = jest.spyOn(BackgroundCheckpointer.prototype, 'start').mockImplementation(() => {
      throw new Error('no threads here');
    });
    try {
      const onFailure = jest.fn(() => {
        throw new Error('a logger that fails');
      });
      const { connection, sql, adapter } = await open({ backgroundCheckpoint: { stallMs: 0, onFailure } });
      // One group commit (three statements), then a runner transaction: both stall (stallMs 0) after their COMMIT.
      expect(await Promise.all([sql.execute(INSERT, [45_000, 1]), sql.execute(INSERT, [45_001, 1]), sql.execute(INSERT, [45_002, 1])])).toEqual([1, 1, 1]);
      expect(await sql.transaction(async (tx) => tx.execute(INSERT, [45_003, 1]))).toBe(1);
      expect(await sql.query('SELECT "year" FROM "reference_counters" WHERE "year" BETWEEN 45000 AND 45003 ORDER BY "year"')).toEqual([
        { year: 45_000 },
        { year: 45_001 },
        { year: 45_002 },
        { year: 45_003 },
      ]);
      expect(start).toHaveBeenCalledTimes(1); // tried once, then the connection checkpoints by itself for good
      // Said once; that the callback threw changed nothing for the commit's callers.
      expect(onFailure).toHaveBeenCalledTimes(1);
      expect(onFailure).toHaveBeenCalledWith(new Error('no threads here'));
      expect(connection.checkpointStats).toMatchObject({ running: false });
      expect(connection.groupCommitStats.fallbacks).toBe(0);
      expect(await autocheckpoint(sql)).toBe(WAL_AUTOCHECKPOINT_PAGES);
      await adapter.dispose();
    } finally {
      start.mockRestore();
    }
  });

  test('when the database is in memory, or the thread is turned off, then there is none', async () => {
    expect(new SqliteConnection('file::memory:').checkpointStats).toBeUndefined();
    expect(new SqliteConnection(db.url, { backgroundCheckpoint: false }).checkpointStats).toBeUndefined();
  });
});
