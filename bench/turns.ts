import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnBot, type BotProcess } from './child';
import { BenchConnector } from './connector';
import { createThrowawayDatabase, type BenchProvider } from './databases';
import { ACCESS_INTAKE } from './intake';
import { median, percentile, runLoad, type LoadResult } from './load';
import { cpuMsOf, memoryOf } from './procStats';
import { fixed, machine, table, writeResult } from './report';

export interface TurnsOptions {
  provider: BenchProvider;
  conversations: number;
  durationMs: number;
  warmupMs: number;
  repeat: number;
  /** Folder for node --cpu-prof profiles of both bots (whole life, start-up included), or undefined. */
  cpuProfDir?: string;
  /** Folder for CPU profiles of the measured phases only (V8 profiler through the inspector), or undefined. */
  profileDir?: string;
  /** NODE_OPTIONS for the help-desk bot only (e.g. heap limits, to see their effect on RSS and throughput). */
  botNodeOptions?: string;
  /** Run the bots from their TypeScript sources through tsx instead of dist/. */
  tsx?: boolean;
  /** Think time of the paced phase (ms; 0 skips it) and its length (ms). */
  pacedThinkMs: number;
  pacedDurationMs: number;
  /** Which bots to run (default both). */
  only?: 'echo' | 'helpdesk';
}

interface PhaseResult {
  turnsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  errorKinds: Record<string, number>;
  turns: number;
  intakes: number;
  repliesPerTurn: number;
  botCpuMsPerTurn: number;
  loadCpuMsPerTurn: number;
  rssMiB: number;
  /** process.memoryUsage() of the bot at the end of the phase, in MiB. */
  memoryMiB?: Record<string, number>;
  /** TCP connections the bot opened to the connector during the phase. */
  connectorConnections?: number;
  byStep: Record<string, { p50: number; p95: number }>;
}

interface BotSummary {
  name: string;
  /** The paced phase: conversations pausing between turns like people, well below saturation. */
  paced?: PhaseResult;
  turnsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  peakRssMiB: number;
  botCpuMsPerTurn: number;
  phases: PhaseResult[];
}

function summarizePhase(load: LoadResult, botCpuMs: number, loadCpuMs: number, rssMiB: number): PhaseResult {
  return {
    turnsPerSecond: load.turns / (load.elapsedMs / 1000),
    p50: percentile(load.latencies, 50),
    p95: percentile(load.latencies, 95),
    p99: percentile(load.latencies, 99),
    errors: load.errors,
    errorKinds: load.errorKinds,
    turns: load.turns,
    intakes: load.intakes,
    repliesPerTurn: load.repliesPerTurn,
    botCpuMsPerTurn: botCpuMs / Math.max(1, load.turns),
    loadCpuMsPerTurn: loadCpuMs / Math.max(1, load.turns),
    rssMiB,
    byStep: Object.fromEntries(Object.entries(load.byStep).map(([k, v]) => [k, { p50: percentile(v, 50), p95: percentile(v, 95) }])),
  };
}

/** One measured phase against one bot: load for the duration, with the bot's CPU time and RSS around it. */
async function phase(bot: BotProcess, connector: BenchConnector, options: TurnsOptions, durationMs: number, expectReference: boolean, thinkMs = 0): Promise<PhaseResult> {
  const cpuBefore = cpuMsOf(bot.pid);
  const selfBefore = process.cpuUsage();
  let rss = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, memoryOf(bot.pid)?.rssMiB ?? 0);
  }, 200);
  const connectionsBefore = connector.connections;
  const load = await runLoad({ port: bot.port, connector, concurrency: options.conversations, durationMs, steps: ACCESS_INTAKE, expectReference, tag: bot.name, thinkMs });
  clearInterval(sampler);
  rss = Math.max(rss, memoryOf(bot.pid)?.rssMiB ?? 0);
  const self = process.cpuUsage(selfBefore);
  const cpuMs = cpuMsOf(bot.pid) - cpuBefore;
  const { usage } = (await bot.command({ type: 'memory' }, 'memory')) as { usage: Record<string, number> };
  const memoryMiB = Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Math.round((v / 1048576) * 10) / 10]));
  return { ...summarizePhase(load, cpuMs, (self.user + self.system) / 1000, rss), memoryMiB, connectorConnections: connector.connections - connectionsBefore };
}

function summarizeBot(name: string, phases: PhaseResult[], peakRssMiB: number): BotSummary {
  const m = (f: (p: PhaseResult) => number) => median(phases.map(f));
  return {
    name,
    turnsPerSecond: m((p) => p.turnsPerSecond),
    p50: m((p) => p.p50),
    p95: m((p) => p.p95),
    p99: m((p) => p.p99),
    errors: phases.reduce((a, p) => a + p.errors, 0),
    peakRssMiB,
    botCpuMsPerTurn: m((p) => p.botCpuMsPerTurn),
    phases,
  };
}

/**
 * The turn benchmark: the stock echo bot and the help-desk bot, each in its own process, against one local
 * connector, driven by the same load (N conversations, each a full access intake, again and again).
 * @remarks Phases alternate (echo, help-desk, echo, help-desk…) so both see the same machine load; the table
 * shows the median of the phases and the ratio is the median of the per-pair ratios.
 */
export async function runTurns(options: TurnsOptions): Promise<{ table: string; ratio: number; file: string }> {
  const started = performance.now();
  const connector = await new BenchConnector().start();
  const database = await createThrowawayDatabase(options.provider, 'turns');
  const bots: { name: string; label: string; process: BotProcess; expectReference: boolean; phases: PhaseResult[]; paced?: PhaseResult; peakRssMiB: number }[] = [];
  const machineBefore = machine();
  try {
    if (options.only !== 'helpdesk') {
      bots.push({ name: 'echo', label: 'echo (stock botbuilder)', process: await spawnBot('echo', 'echoBot', { cpuProfDir: options.cpuProfDir, tsx: options.tsx }), expectReference: false, phases: [], peakRssMiB: NaN });
    }
    if (options.only !== 'echo') {
      const env: Record<string, string> = { DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
      if (options.botNodeOptions) env.NODE_OPTIONS = options.botNodeOptions;
      bots.push({ name: 'helpdesk', label: `help-desk (${options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`, process: await spawnBot('helpdesk', 'helpdeskBot', { env, cpuProfDir: options.cpuProfDir, tsx: options.tsx }), expectReference: true, phases: [], peakRssMiB: NaN });
    }
    for (const bot of bots) {
      process.stderr.write(`warm-up ${bot.name} (${options.warmupMs} ms)\n`);
      await phase(bot.process, connector, options, options.warmupMs, bot.expectReference);
    }
    if (options.profileDir) for (const bot of bots) await bot.process.command({ type: 'profile-start' }, 'profile-started');
    for (let r = 0; r < options.repeat; r++) {
      for (const bot of bots) {
        const result = await phase(bot.process, connector, options, options.durationMs, bot.expectReference);
        bot.phases.push(result);
        process.stderr.write(`run ${r + 1}/${options.repeat} ${bot.name}: ${fixed(result.turnsPerSecond)} turns/s, p95 ${fixed(result.p95)} ms, errors ${result.errors}\n`);
      }
    }
    if (options.profileDir) {
      for (const bot of bots) {
        const file = path.join(options.profileDir, `${bot.name}-${options.provider}-${Date.now()}.cpuprofile`);
        await bot.process.command({ type: 'profile-stop', file }, 'profile-stopped');
        process.stderr.write(`profile: ${file}\n`);
      }
    }
    if (options.pacedThinkMs > 0) {
      for (const bot of bots) {
        bot.paced = await phase(bot.process, connector, options, options.pacedDurationMs, bot.expectReference, options.pacedThinkMs);
        process.stderr.write(`paced ${bot.name}: ${fixed(bot.paced.turnsPerSecond)} turns/s, p95 ${fixed(bot.paced.p95)} ms, errors ${bot.paced.errors}\n`);
      }
    }
    // Peak resident set over the bot's life (start-up, warm-up and every phase), read before it exits.
    for (const bot of bots) bot.peakRssMiB = memoryOf(bot.process.pid)?.peakRssMiB ?? NaN;
  } finally {
    for (const bot of bots) await bot.process.stop().catch(() => undefined);
    await connector.stop();
    await database.drop().catch((err) => process.stderr.write(`could not drop the bench database: ${String(err)}\n`));
  }

  const summaries = bots.map((b) => ({ label: b.label, ...summarizeBot(b.name, b.phases, b.peakRssMiB), paced: b.paced }));
  const echo = summaries.find((s) => s.name === 'echo');
  const helpdesk = summaries.find((s) => s.name === 'helpdesk');
  const pairRatios = echo && helpdesk ? echo.phases.map((p, i) => helpdesk.phases[i]!.turnsPerSecond / p.turnsPerSecond) : [];
  const ratio = pairRatios.length ? median(pairRatios) : NaN;

  const db = options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const paced = options.pacedThinkMs > 0;
  const text = [
    `turns: ${db}, ${options.conversations} concurrent conversations, each a full access intake (4 turns) again and again`,
    options.botNodeOptions ? `  help-desk bot run with NODE_OPTIONS=${options.botNodeOptions}` : '',
    `  saturated: no pause between turns, ${options.repeat} × ${options.durationMs / 1000} s per bot alternating, medians`,
    paced ? `  paced: ${options.pacedThinkMs / 1000} s (±50%) pause between turns, like people, ${options.pacedDurationMs / 1000} s per bot` : '',
    '  latency: activity sent → last reply of the turn received by the connector; errors: both phases',
    table(
      ['bot', 'turns/s', 'p50 ms', 'p95 ms', 'p99 ms', ...(paced ? ['paced p50', 'paced p95', 'paced p99'] : []), 'errors', 'peak RSS MiB', 'CPU ms/turn'],
      summaries.map((s) => [
        s.label,
        fixed(s.turnsPerSecond),
        fixed(s.p50),
        fixed(s.p95),
        fixed(s.p99),
        ...(paced ? [fixed(s.paced?.p50 ?? NaN), fixed(s.paced?.p95 ?? NaN), fixed(s.paced?.p99 ?? NaN)] : []),
        s.errors + (s.paced?.errors ?? 0),
        fixed(s.peakRssMiB),
        fixed(s.botCpuMsPerTurn, 2),
      ]),
    ),
  ]
    .filter(Boolean)
    .join('\n');

  const file = writeResult(`turns-${options.provider}`, {
    scenario: 'turns',
    options: { ...options },
    machineBefore,
    machineAfter: machine(),
    wallSeconds: (performance.now() - started) / 1000,
    latencyDefinition: 'activity sent by the load generator → last reply of that turn received by the connector (ms)',
    bots: summaries,
    pairRatios,
    ratio,
  });
  return { table: text, ratio, file };
}
