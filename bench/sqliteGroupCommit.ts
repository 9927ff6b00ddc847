/**
 * Micro-benchmark of the SQLite runner's group commit: K callers issue a 3 KB upsert each in the same event-loop
 * iteration and wait for all of them, again and again; CPU and wall time per statement, with group commit
 * (statements of one iteration in one BEGIN IMMEDIATE … COMMIT) and without (`maxBatch: 1`, each statement its own
 * autocommit transaction, as before).
 *
 *   npx tsx bench/sqliteGroupCommit.ts [--statements 20000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteConnection } from '../data/sqliteConnection';

const UPSERT =
  'INSERT INTO "kv" ("key", "data", "etag", "updated_at") VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT ("key") DO UPDATE SET "data" = excluded."data", "etag" = excluded."etag", "updated_at" = excluded."updated_at"';

async function measure(maxBatch: number, concurrency: number, statements: number): Promise<{ cpuUs: number; wallUs: number; batches: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  const connection = new SqliteConnection(`file:${path.join(dir, 'bench.db')}`, { maxBatch });
  const adapter = await connection.factory().connect();
  const sql = connection.runner();
  try {
    await sql.execute('CREATE TABLE "kv" ("key" TEXT PRIMARY KEY, "data" TEXT NOT NULL, "etag" TEXT NOT NULL, "updated_at" TEXT NOT NULL)');
    const data = 'x'.repeat(3000);
    const round = (r: number) =>
      Promise.all(Array.from({ length: concurrency }, (_, i) => sql.execute(UPSERT, [`k${(r * concurrency + i) % 500}`, data, `e${r}`, new Date()])));
    for (let r = 0; r < 200; r++) await round(r); // warm-up
    const rounds = Math.ceil(statements / concurrency);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const before = connection.groupCommitStats.batches;
    for (let r = 0; r < rounds; r++) await round(r);
    const wallUs = Number(process.hrtime.bigint() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const n = rounds * concurrency;
    return { cpuUs: (used.user + used.system) / n, wallUs: wallUs / n, batches: connection.groupCommitStats.batches - before };
  } finally {
    await adapter.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { statements: { type: 'string', default: '20000' } } });
  const statements = Number(values.statements);
  console.log(`runner upserts of 3 KB, WAL, synchronous=NORMAL; ${statements} statements per line; µs per statement`);
  console.log('concurrent  alone CPU  alone wall  grouped CPU  grouped wall  statements/commit');
  for (const concurrency of [1, 5, 20, 50, 200]) {
    const alone = await measure(1, concurrency, statements);
    const grouped = await measure(64, concurrency, statements);
    const perCommit = grouped.batches ? (Math.ceil(statements / concurrency) * concurrency) / grouped.batches : 1;
    console.log(
      `${String(concurrency).padStart(10)}  ${alone.cpuUs.toFixed(1).padStart(9)}  ${alone.wallUs.toFixed(1).padStart(10)}  ` +
        `${grouped.cpuUs.toFixed(1).padStart(11)}  ${grouped.wallUs.toFixed(1).padStart(12)}  ${perCommit.toFixed(1).padStart(17)}`,
    );
  }
}

void main();
