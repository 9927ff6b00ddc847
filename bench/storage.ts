import { performance } from 'node:perf_hooks';
import { openDatabase, type Database } from '../data/db';
import { migrate } from '../data/migrate';
import { RequestRepository } from '../data/requestRepository';
import { createThrowawayDatabase, type BenchProvider } from './databases';
import { median, percentile } from './load';
import { checkTarget, TARGETS, targetsLine } from './targets';
import { fixed, machine, table, writeResult } from './report';

export interface StorageOptions {
  provider: BenchProvider;
  /** Request counts to measure at, ascending (default 1k, 10k, 100k). */
  sizes: number[];
}

/** Open requests at any size: the managers' backlog does not grow with history (closed requests do). */
const BACKLOG = 200;
/** Seconds between two seeded requests (100k requests ≈ 2 years). */
const SPACING_S = 600;
const RUNS = 40;

/**
 * Seeds requests `from`..`to` (ids) and their events in two bulk statements (generated in SQL, not sent row by row).
 * @remarks Kinds rotate; every third requester files three requests in a row; a code expires 5 days after filing; one
 * to three events per request. Everything is closed (completed, rejected, cancelled, expired) until {@link openBacklog}.
 */
async function seed(db: Database, from: number, to: number, base: number): Promise<void> {
  const pg = db.provider === 'postgresql';
  const at = (secondsExpr: string) =>
    pg ? `(to_timestamp(${secondsExpr}) AT TIME ZONE 'UTC')` : `(strftime('%Y-%m-%dT%H:%M:%f', ${secondsExpr}, 'unixepoch') || '+00:00')`;
  const created = `${base} + i * ${SPACING_S}`;
  const div3 = pg ? 'i / 3' : 'CAST(i / 3 AS INTEGER)';
  const select = `SELECT i, 'BENCH-' || i,
      CASE i % 3 WHEN 0 THEN 'access_with_code' WHEN 1 THEN 'access_without_code' ELSE 'withdrawal' END,
      CASE WHEN i % 20 = 0 THEN 'rejected' WHEN i % 20 = 1 THEN 'cancelled' WHEN i % 20 = 2 THEN 'expired' ELSE 'completed' END,
      CASE i % 3 WHEN 2 THEN 'supervisor' ELSE 'physician' END,
      'bench-user-' || ${div3}, 'a:bench-' || ${div3}, 'fr-CA', 'Tremblay', 'Marie', 'CHU de Québec', 'bench' || i || '@example.org',
      'bench-' || i,
      CASE i % 3 WHEN 1 THEN ${at(`${created} + 432000`)} ELSE NULL END,
      ${at(created)}, ${at(created)}, ${at(`${created} + 172800`)}`;
  const columns = `id, reference, kind, status, requester_role, requester_user_id, requester_conversation_id, locale, last_name, first_name,
      practice_location, email, idempotency_key, code_expires_at, created_at, updated_at, closed_at`;
  if (pg) {
    await db.prisma.$executeRawUnsafe(`INSERT INTO access_requests (${columns}) ${select} FROM generate_series(${from}, ${to}) AS s(i)`);
  } else {
    await db.prisma.$executeRawUnsafe(
      `WITH RECURSIVE s(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM s WHERE i < ${to}) INSERT INTO access_requests (${columns}) ${select} FROM s`,
    );
  }
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO request_events (request_id, action, from_status, to_status, actor_id, at)
     SELECT r.id, CASE k.n WHEN 0 THEN 'filed' WHEN 1 THEN 'taken' ELSE 'closed' END,
            CASE k.n WHEN 0 THEN NULL WHEN 1 THEN 'submitted' ELSE 'in_progress' END,
            CASE k.n WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_progress' ELSE r.status END,
            CASE k.n WHEN 0 THEN r.requester_user_id ELSE 'bench-manager' END, r.created_at
     FROM access_requests r JOIN (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2) k ON k.n <= r.id % 3
     WHERE r.id BETWEEN ${from} AND ${to}`,
  );
}

/** Makes the newest {@link BACKLOG} requests open (submitted, in progress, code sent) and closes the ones before them. */
async function openBacklog(db: Database, n: number): Promise<void> {
  const first = Math.max(1, n - BACKLOG + 1);
  await db.prisma.$executeRawUnsafe(
    `UPDATE access_requests SET status = CASE WHEN id % 20 = 0 THEN 'rejected' WHEN id % 20 = 1 THEN 'cancelled' WHEN id % 20 = 2 THEN 'expired' ELSE 'completed' END,
       closed_at = updated_at WHERE id < ${first} AND status IN ('submitted', 'in_progress', 'code_sent')`,
  );
  await db.prisma.$executeRawUnsafe(
    `UPDATE access_requests SET closed_at = NULL,
       status = CASE WHEN id % 3 = 1 AND id % 2 = 0 THEN 'code_sent' WHEN id % 2 = 0 THEN 'submitted' ELSE 'in_progress' END
     WHERE id >= ${first}`,
  );
  if (db.provider === 'postgresql') {
    await db.prisma.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('access_requests', 'id'), ${n})`);
    await db.prisma.$executeRawUnsafe('VACUUM ANALYZE access_requests');
    await db.prisma.$executeRawUnsafe('VACUUM ANALYZE request_events');
  } else {
    await db.prisma.$executeRawUnsafe('ANALYZE');
  }
}

async function timeQuery(run: () => Promise<unknown>): Promise<{ medianMs: number; p95Ms: number }> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), p95Ms: percentile(times, 95) };
}

/**
 * Storage growth: seeds 1k, 10k, 100k requests (with events) and times the managers' queue, a requester's
 * « Mes demandes » and the reminder sweep's query at each size, through the repository as the bot calls it.
 */
export async function runStorage(options: StorageOptions): Promise<{ table: string; file: string }> {
  const database = await createThrowawayDatabase(options.provider, 'storage');
  const db = await openDatabase(database.url);
  const rows: Record<string, unknown>[] = [];
  try {
    await migrate(db);
    const repo = new RequestRepository(db.prisma);
    const max = Math.max(...options.sizes);
    const base = Math.floor(Date.now() / 1000) - max * SPACING_S;
    let seeded = 0;
    for (const size of [...options.sizes].sort((a, b) => a - b)) {
      const t0 = performance.now();
      await seed(db, seeded + 1, size, base);
      await openBacklog(db, size);
      const seedMs = performance.now() - t0;
      seeded = size;
      const events = await db.prisma.requestEvent.count();
      const newest = base + size * SPACING_S;
      const requester = `bench-user-${Math.floor(size / 3) - 1}`;
      const cutoff = new Date((newest + 5 * 86400 - 12 * 3600) * 1000);
      const open = await repo.listOpen(50);
      const due = await repo.listCodeSentDueBy(cutoff, 100);
      const mine = await repo.listByRequester(requester, 20);
      const queue = await timeQuery(() => Promise.all([repo.listOpen(50), repo.countByStatus()]));
      const listOpen = await timeQuery(() => repo.listOpen(50));
      const counts = await timeQuery(() => repo.countByStatus());
      const myRequests = await timeQuery(() => repo.listByRequester(requester, 20));
      const sweep = await timeQuery(() => repo.listCodeSentDueBy(cutoff, 100));
      rows.push({ requests: size, events, seedMs, rowsReturned: { open: open.length, due: due.length, mine: mine.length }, queue, listOpen, counts, myRequests, sweep });
      process.stderr.write(`storage ${size}: queue ${fixed(queue.medianMs, 2)} ms, mes demandes ${fixed(myRequests.medianMs, 2)} ms, sweep ${fixed(sweep.medianMs, 2)} ms (seeded in ${fixed(seedMs / 1000)} s)\n`);
    }
  } finally {
    await db.close();
    await database.drop().catch((err) => process.stderr.write(`could not drop the bench database: ${String(err)}\n`));
  }
  const ms = (row: Record<string, unknown>, key: string) => fixed((row[key] as { medianMs: number }).medianMs, 2);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const growth = (key: string) => (last[key] as { medianMs: number }).medianMs / (first[key] as { medianMs: number }).medianMs;
  // The target compares the largest size with the smallest (100k with 1k by default).
  const targets = rows.length > 1 ? [checkTarget(`queue at ${last.requests} ÷ at ${first.requests}`, growth('queue'), TARGETS.queueGrowth, 'max', '×', 2)] : [];
  const text = [
    `storage: ${options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${BACKLOG} open requests at every size, median of ${RUNS} runs (ms), through RequestRepository`,
    table(
      ['requests', 'events', 'queue (listOpen 50 + countByStatus)', 'listOpen', 'countByStatus', 'mes demandes', 'reminder sweep'],
      rows.map((r) => [String(r.requests), String(r.events), ms(r, 'queue'), ms(r, 'listOpen'), ms(r, 'counts'), ms(r, 'myRequests'), ms(r, 'sweep')]),
    ),
    `growth ${first.requests} → ${last.requests}: queue ×${fixed(growth('queue'), 2)}, mes demandes ×${fixed(growth('myRequests'), 2)}, reminder sweep ×${fixed(growth('sweep'), 2)}`,
    targetsLine(targets),
  ].join('\n');
  const file = writeResult(`storage-${options.provider}`, { scenario: 'storage', options, backlog: BACKLOG, runs: RUNS, machine: machine(), rows, targets });
  return { table: text, file };
}
