import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { flagArgs } from './child';
import { BenchConnector } from './connector';
import { createThrowawayDatabase, type BenchProvider } from './databases';
import { ACCESS_INTAKE } from './intake';
import { median, runLoad } from './load';
import { memoryOf } from './procStats';
import { checkTarget, TARGETS, targetsLine } from './targets';
import { fixed, machine, table, writeResult } from './report';

export interface StartupOptions {
  provider: BenchProvider;
  /** Conversations the bot stores before its memory is read (default 10k). */
  stored: number;
  /** Node flags for the bot, on its command line as `npm start` passes them (e.g. heap limits). */
  botNodeOptions?: string;
}

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'dist', 'bot', 'index.js');
const RESTARTS = 5;
/** How long the bot sits idle before its settled RSS is read: the idle heap settler (bot/services/idleHeapSettler.ts, `--expose-gc`) gives the young generation's pages back 10–15 s after start-up, V8's own memory reducer sometimes. */
const SETTLE_MS = 30_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

interface Started {
  pid: number;
  port: number;
  /** Spawn → first 200 from /healthz, in ms. */
  healthyMs: number;
  stop(): Promise<void>;
}

/** Spawns `node dist/bot/index.js` (what `npm start` runs) and polls /healthz every 5 ms until it answers 200. */
async function startBot(databaseUrl: string, nodeOptions?: string): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--no-deprecation', ...flagArgs(nodeOptions), ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      LOCAL_CHAT: 'false',
      // BENCH_BOT_LOG_LEVEL=debug shows the idle heap settler's figures (heap, external) on stderr.
      LOG_LEVEL: process.env.BENCH_BOT_LOG_LEVEL ?? 'warn',
      DATABASE_URL: databaseUrl,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.pipe(process.stderr);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (!(await healthy(port))) {
    if (exited) throw new Error('the bot exited before /healthz answered');
    if (performance.now() - t0 > 60_000) throw new Error('/healthz did not answer within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const healthyMs = performance.now() - t0;
  return {
    pid: child.pid!,
    port,
    healthyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Start-up time to a healthy /healthz (`node dist/bot/index.js` after `npm run build`): the first start on an empty
 * database (migrations included) and restarts on the migrated one; then the bot's memory after it has stored N
 * conversations (each a first message: welcome and triage card, state, conversation reference).
 */
export async function runStartup(options: StartupOptions): Promise<{ table: string; file: string }> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
  const database = await createThrowawayDatabase(options.provider, 'startup');
  const connector = await new BenchConnector().start();
  let result: Record<string, unknown>;
  try {
    const first = await startBot(database.url, options.botNodeOptions);
    await first.stop();
    const restarts: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const again = await startBot(database.url, options.botNodeOptions);
      restarts.push(again.healthyMs);
      await again.stop();
    }
    const bot = await startBot(database.url, options.botNodeOptions);
    const idle = memoryOf(bot.pid);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const settled = memoryOf(bot.pid);
    const t0 = performance.now();
    const load = await runLoad({
      port: bot.port,
      connector,
      concurrency: 50,
      durationMs: 10 * 60_000,
      totalConversations: options.stored,
      steps: ACCESS_INTAKE.slice(0, 1),
      expectReference: false,
      tag: 'stored',
    });
    const storeSeconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const after = memoryOf(bot.pid);
    // The same wait as after start-up: what 10k stored conversations leave in memory once the load has stopped
    // (state lives in the database; what the load's young generation and garbage took, the settler gives back).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const afterSettled = memoryOf(bot.pid);
    await bot.stop();
    result = {
      firstStartMs: first.healthyMs,
      restartMs: restarts,
      restartMedianMs: median(restarts),
      rssIdleMiB: idle?.rssMiB,
      rssSettledMiB: settled?.rssMiB,
      storedConversations: load.intakes,
      storeErrors: load.errors,
      storeSeconds,
      rssAfterMiB: after?.rssMiB,
      rssAfterSettledMiB: afterSettled?.rssMiB,
      peakRssMiB: afterSettled?.peakRssMiB,
    };
  } finally {
    await connector.stop();
    await database.drop().catch((err) => process.stderr.write(`could not drop the bench database: ${String(err)}\n`));
  }
  const r = result as { firstStartMs: number; restartMedianMs: number; rssIdleMiB: number; rssSettledMiB: number; storedConversations: number; storeErrors: number; rssAfterMiB: number; rssAfterSettledMiB: number; peakRssMiB: number };
  const targets = [
    checkTarget('restart', r.restartMedianMs, TARGETS.startupMs, 'max', 'ms', 0),
    checkTarget('RSS at start', r.rssIdleMiB, TARGETS.rssMiB, 'max', 'MiB'),
    checkTarget(`RSS ${SETTLE_MS / 1000} s after ${r.storedConversations} conversations`, r.rssAfterSettledMiB, TARGETS.rssMiB, 'max', 'MiB'),
    checkTarget('RSS right after them', r.rssAfterMiB, TARGETS.rssMiB, 'max', 'MiB'),
  ];
  const text = [
    `startup: ${options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, node dist/bot/index.js (after npm run build), spawn → 200 from /healthz${options.botNodeOptions ? `, node ${options.botNodeOptions}` : ''}`,
    table(
      ['first start (migrations) ms', `restart ms (median of ${RESTARTS})`, 'RSS idle MiB (at start)', `RSS after ${SETTLE_MS / 1000} s idle MiB`, `RSS after ${r.storedConversations} conversations MiB`, `then after ${SETTLE_MS / 1000} s idle MiB`, 'peak RSS MiB', 'errors'],
      [[fixed(r.firstStartMs, 0), fixed(r.restartMedianMs, 0), fixed(r.rssIdleMiB), fixed(r.rssSettledMiB), fixed(r.rssAfterMiB), fixed(r.rssAfterSettledMiB), fixed(r.peakRssMiB), r.storeErrors]],
    ),
    targetsLine(targets),
  ].join('\n');
  const file = writeResult(`startup-${options.provider}`, { scenario: 'startup', options, machine: machine(), ...result, targets });
  return { table: text, file };
}
