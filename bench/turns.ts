import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnBot, type BotProcess } from './child';
import { BenchConnector } from './connector';
import { createThrowawayDatabase, type BenchProvider } from './databases';
import { ACCESS_INTAKE } from './intake';
import { median, percentile, runLoad, type LoadResult } from './load';
import { cpuMsOf, cpuMsOfCommand, memoryOf, schedStatOf } from './procStats';
import { checkTarget, TARGETS, targetsLine, type TargetCheck } from './targets';
import { fixed, machine, table, writeResult } from './report';
import { BENCH_TEAMS, benchTeamsEnv, installBenchTeams } from './teams';

/** How long the bench waits at the end of the run for managers' cards still in the outbox. */
const CARD_GRACE_MS = 30_000;

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
  /** Folder for allocation profiles of the measured phases (V8's sampling heap profiler), or undefined. */
  heapProfileDir?: string;
  /** Node flags for the help-desk bot only, on its command line (e.g. heap limits, to see their effect on RSS and throughput). */
  botNodeOptions?: string;
  /** Node flags for the echo bot only (default none: the stock bot as node runs it). */
  echoNodeOptions?: string;
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
  /** CPU time of PostgreSQL's processes per turn (PostgreSQL runs only; the server is on this machine). */
  databaseCpuMsPerTurn?: number;
  /** Share of the phase the bot's main thread was runnable but waiting for a core (Linux's schedstat). */
  botWaitShare?: number;
  rssMiB: number;
  /** process.memoryUsage() of the bot at the end of the phase, in MiB. */
  memoryMiB?: Record<string, number>;
  /** Garbage collections of the bot per turn during the phase: scavenges, mark-compacts, their pauses in µs. */
  gcPerTurn?: { minor: number; minorUs: number; major: number; majorUs: number; otherUs: number };
  /** TCP connections the bot opened to the connector during the phase. */
  connectorConnections?: number;
  /** Requests' cards the connector received in the managers' channel during the phase (help-desk bot). */
  channelCards?: number;
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
  /** Help-desk bot: did each filed request's card reach the managers' channel, once, by the end of the run? */
  managersCards?: ManagersCards;
}

interface ManagersCards {
  /** Requests filed over the whole run (warm-up and paced phase included). */
  filings: number;
  /** Card posts for those requests in the managers' channel, and per filing. */
  cardsPosted: number;
  cardsPerFiling: number;
  /** Filings whose card never arrived (counted as errors), or arrived more than once. */
  missing: number;
  postedTwice: number;
  /** Card posts in another channel than ACCESS_MANAGERS_CHANNEL_ID, and card updates in place. */
  misdirected: number;
  updates: number;
  /** From the confirmation reply to the card, both as the connector received them, ms (negative: the card came first). */
  delayP50: number;
  delayP95: number;
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
async function phase(bot: BotProcess, connector: BenchConnector, options: TurnsOptions, durationMs: number, expectReference: boolean, filings: LoadResult['filings'], thinkMs = 0): Promise<PhaseResult> {
  const gcBefore = ((await bot.command({ type: 'memory' }, 'memory')) as { gc?: GcCounts }).gc;
  const cpuBefore = cpuMsOf(bot.pid);
  const databaseCpu = () => (options.provider === 'postgresql' ? cpuMsOfCommand('postgres') : NaN);
  const databaseBefore = databaseCpu();
  const schedBefore = schedStatOf(bot.pid);
  const wallBefore = performance.now();
  const selfBefore = process.cpuUsage();
  let rss = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, memoryOf(bot.pid)?.rssMiB ?? 0);
  }, 200);
  const connectionsBefore = connector.connections;
  const cardsBefore = connector.channelPosts;
  const load = await runLoad({ port: bot.port, connector, concurrency: options.conversations, durationMs, steps: ACCESS_INTAKE, expectReference, tag: bot.name, thinkMs });
  clearInterval(sampler);
  rss = Math.max(rss, memoryOf(bot.pid)?.rssMiB ?? 0);
  const self = process.cpuUsage(selfBefore);
  const cpuMs = cpuMsOf(bot.pid) - cpuBefore;
  const databaseCpuMs = databaseCpu() - databaseBefore;
  const schedAfter = schedStatOf(bot.pid);
  const wallMs = performance.now() - wallBefore;
  const { usage, gc } = (await bot.command({ type: 'memory' }, 'memory')) as { usage: Record<string, number>; gc?: GcCounts };
  const memoryMiB = Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Math.round((v / 1048576) * 10) / 10]));
  filings.push(...load.filings);
  return {
    ...summarizePhase(load, cpuMs, (self.user + self.system) / 1000, rss),
    ...(Number.isFinite(databaseCpuMs) ? { databaseCpuMsPerTurn: databaseCpuMs / Math.max(1, load.turns) } : {}),
    ...(schedBefore && schedAfter ? { botWaitShare: (schedAfter.waitMs - schedBefore.waitMs) / wallMs } : {}),
    memoryMiB,
    ...(gc && gcBefore ? { gcPerTurn: gcPerTurn(gcBefore, gc, load.turns) } : {}),
    connectorConnections: connector.connections - connectionsBefore,
    ...(expectReference ? { channelCards: connector.channelPosts - cardsBefore } : {}),
  };
}

/** Medians over the saturated phases of the CPU time per turn of each process that shares the machine's cores. */
function cpuLine(label: string, phases: PhaseResult[]): string {
  const m = (f: (p: PhaseResult) => number) => median(phases.map(f));
  const database = phases.every((p) => p.databaseCpuMsPerTurn !== undefined) ? `, PostgreSQL ${fixed(m((p) => p.databaseCpuMsPerTurn!), 2)} ms` : '';
  const wait = phases.every((p) => p.botWaitShare !== undefined) ? ` (its main thread waited for a core ${fixed(m((p) => p.botWaitShare!) * 100)} % of the time)` : '';
  return `  ${label} CPU per turn by process: bot ${fixed(m((p) => p.botCpuMsPerTurn), 2)} ms${wait}${database}, load generator and connector ${fixed(m((p) => p.loadCpuMsPerTurn), 2)} ms`;
}

/** Medians over the saturated phases of the bot's garbage collections per turn. */
function gcLine(label: string, phases: PhaseResult[]): string {
  const m = (f: (g: NonNullable<PhaseResult['gcPerTurn']>) => number) => median(phases.map((p) => f(p.gcPerTurn!)));
  return `  ${label} GC per turn: ${fixed(m((g) => g.minor), 3)} scavenges (${fixed(m((g) => g.minorUs))} µs), ${fixed(m((g) => g.major), 4)} mark-compacts (${fixed(m((g) => g.majorUs))} µs), other ${fixed(m((g) => g.otherUs))} µs of pause`;
}

interface GcCounts {
  minor: number;
  minorMs: number;
  major: number;
  majorMs: number;
  otherMs: number;
}

function gcPerTurn(before: GcCounts, after: GcCounts, turns: number): NonNullable<PhaseResult['gcPerTurn']> {
  const n = Math.max(1, turns);
  const r = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    minor: r((after.minor - before.minor) / n, 3),
    minorUs: r(((after.minorMs - before.minorMs) * 1000) / n, 1),
    major: r((after.major - before.major) / n, 4),
    majorUs: r(((after.majorMs - before.majorMs) * 1000) / n, 1),
    otherUs: r(((after.otherMs - before.otherMs) * 1000) / n, 1),
  };
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
 * shows the median of the phases and the ratio is the median of the per-pair ratios. The help-desk bot runs as
 * deployed: managers' and agents' teams configured and the bot installed in both before the warm-up, so each
 * filing's card is delivered to the managers' channel by the outbox during the run; the table's last line says
 * how many cards arrived per filing, and a card still missing 30 s after the last phase counts as an error.
 */
export async function runTurns(options: TurnsOptions): Promise<{ table: string; ratio: number; file: string }> {
  const started = performance.now();
  const connector = await new BenchConnector().start();
  const database = await createThrowawayDatabase(options.provider, 'turns');
  const bots: {
    name: string;
    label: string;
    process: BotProcess;
    expectReference: boolean;
    phases: PhaseResult[];
    paced?: PhaseResult;
    peakRssMiB: number;
    filings: LoadResult['filings'];
    managersCards?: ManagersCards;
  }[] = [];
  const machineBefore = machine();
  try {
    if (options.only !== 'helpdesk') {
      bots.push({ name: 'echo', label: 'echo (stock botbuilder)', process: await spawnBot('echo', 'echoBot', { nodeFlags: options.echoNodeOptions, cpuProfDir: options.cpuProfDir, tsx: options.tsx }), expectReference: false, phases: [], peakRssMiB: NaN, filings: [] });
    }
    if (options.only !== 'echo') {
      // Configured like a deployment: the managers' and agents' teams and channels set, the bot installed in both.
      const env: Record<string, string> = { DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...benchTeamsEnv() };
      const helpdesk = await spawnBot('helpdesk', 'helpdeskBot', { env, nodeFlags: options.botNodeOptions, cpuProfDir: options.cpuProfDir, tsx: options.tsx });
      bots.push({ name: 'helpdesk', label: `help-desk (${options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`, process: helpdesk, expectReference: true, phases: [], peakRssMiB: NaN, filings: [] });
      connector.expectedChannelId = BENCH_TEAMS.managers.channelId;
      await installBenchTeams(helpdesk.port, connector);
    }
    for (const bot of bots) {
      process.stderr.write(`warm-up ${bot.name} (${options.warmupMs} ms)\n`);
      await phase(bot.process, connector, options, options.warmupMs, bot.expectReference, bot.filings);
    }
    if (options.profileDir) for (const bot of bots) await bot.process.command({ type: 'profile-start' }, 'profile-started');
    if (options.heapProfileDir) for (const bot of bots) await bot.process.command({ type: 'heap-sampling-start' }, 'heap-sampling-started');
    for (let r = 0; r < options.repeat; r++) {
      for (const bot of bots) {
        const result = await phase(bot.process, connector, options, options.durationMs, bot.expectReference, bot.filings);
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
    if (options.heapProfileDir) {
      for (const bot of bots) {
        const turns = bot.phases.reduce((a, p) => a + p.turns, 0);
        const file = path.join(options.heapProfileDir, `${bot.name}-${options.provider}-${turns}turns-${Date.now()}.heapprofile`);
        await bot.process.command({ type: 'heap-sampling-stop', file }, 'heap-sampling-stopped');
        process.stderr.write(`heap profile: ${file} (${turns} turns)\n`);
      }
    }
    if (options.pacedThinkMs > 0) {
      for (const bot of bots) {
        bot.paced = await phase(bot.process, connector, options, options.pacedDurationMs, bot.expectReference, bot.filings, options.pacedThinkMs);
        process.stderr.write(`paced ${bot.name}: ${fixed(bot.paced.turnsPerSecond)} turns/s, p95 ${fixed(bot.paced.p95)} ms, errors ${bot.paced.errors}\n`);
      }
    }
    for (const bot of bots) if (bot.expectReference) bot.managersCards = await managersCards(connector, bot.filings);
    // Peak resident set over the bot's life (start-up, warm-up and every phase), read before it exits.
    for (const bot of bots) bot.peakRssMiB = memoryOf(bot.process.pid)?.peakRssMiB ?? NaN;
  } finally {
    for (const bot of bots) await bot.process.stop().catch(() => undefined);
    await connector.stop();
    await database.drop().catch((err) => process.stderr.write(`could not drop the bench database: ${String(err)}\n`));
  }

  const summaries = bots.map((b) => {
    const summary = { label: b.label, ...summarizeBot(b.name, b.phases, b.peakRssMiB), paced: b.paced, managersCards: b.managersCards };
    // A filing whose card never reached the managers' channel is an error of the run.
    summary.errors += b.managersCards?.missing ?? 0;
    return summary;
  });
  const echo = summaries.find((s) => s.name === 'echo');
  const helpdesk = summaries.find((s) => s.name === 'helpdesk');
  const pairRatios = echo && helpdesk ? echo.phases.map((p, i) => helpdesk.phases[i]!.turnsPerSecond / p.turnsPerSecond) : [];
  const ratio = pairRatios.length ? median(pairRatios) : NaN;

  const db = options.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const paced = options.pacedThinkMs > 0;
  const targets: TargetCheck[] = [];
  if (echo && helpdesk) targets.push(checkTarget('ratio', ratio, TARGETS.ratio, 'min', '', 2));
  // The latency target is set for SQLite at 50 concurrent conversations.
  if (helpdesk && options.provider === 'sqlite' && options.conversations === 50) targets.push(checkTarget('help-desk p95', helpdesk.p95, TARGETS.p95Ms, 'max', 'ms'));
  if (helpdesk) targets.push(checkTarget('help-desk peak RSS', helpdesk.peakRssMiB, TARGETS.rssMiB, 'max', 'MiB'));
  const text = [
    `turns: ${db}, ${options.conversations} concurrent conversations, each a full access intake (4 turns) again and again`,
    options.botNodeOptions ? `  help-desk bot run with node ${options.botNodeOptions}` : '',
    options.echoNodeOptions ? `  echo bot run with node ${options.echoNodeOptions}` : '',
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
    ...summaries.map((s) => cpuLine(s.label, s.phases)),
    ...summaries.filter((s) => s.phases.every((p) => p.gcPerTurn)).map((s) => gcLine(s.label, s.phases)),
    ...summaries.filter((s) => s.managersCards).map((s) => cardsLine(s.managersCards!)),
    targetsLine(targets),
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
    targets,
  });
  return { table: text, ratio, file };
}

/**
 * Waits (up to {@link CARD_GRACE_MS}) for the card of every filed request to reach the managers' channel, then
 * counts what the connector received per filing.
 */
async function managersCards(connector: BenchConnector, filings: LoadResult['filings']): Promise<ManagersCards> {
  const deadline = performance.now() + CARD_GRACE_MS;
  const arrived = () => filings.every((f) => connector.channelCards.has(f.reference));
  while (!arrived() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  let cardsPosted = 0;
  let missing = 0;
  let postedTwice = 0;
  let updates = 0;
  const delays: number[] = [];
  for (const filing of filings) {
    const card = connector.channelCards.get(filing.reference);
    if (!card) {
      missing += 1;
      continue;
    }
    cardsPosted += card.posts;
    updates += card.updates;
    if (card.posts > 1) postedTwice += 1;
    delays.push(card.firstAt - filing.at);
  }
  return {
    filings: filings.length,
    cardsPosted,
    cardsPerFiling: filings.length ? cardsPosted / filings.length : NaN,
    missing,
    postedTwice,
    misdirected: connector.misdirectedPosts,
    updates,
    delayP50: percentile(delays, 50),
    delayP95: percentile(delays, 95),
  };
}

function cardsLine(c: ManagersCards): string {
  return (
    `  managers' cards: ${fixed(c.cardsPerFiling, 2)} per filing (${c.filings} filings, ${c.cardsPosted} cards in the managers' channel; ` +
    `${c.missing} missing after ${CARD_GRACE_MS / 1000} s, ${c.postedTwice} posted twice, ${c.misdirected} elsewhere, ${c.updates} updates); ` +
    `card after the confirmation reply: p50 ${fixed(c.delayP50)} ms, p95 ${fixed(c.delayP95)} ms`
  );
}
