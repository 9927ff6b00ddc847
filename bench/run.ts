/**
 * `npm run bench [-- options]`: performance benchmarks of the help-desk bot (not part of `npm test`).
 *
 *   --scenario turns|storage|startup|all   default turns
 *   --db sqlite|postgres                   default sqlite (a fresh temp file); postgres creates and drops a
 *                                          throwaway database on BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
 *   --conversations N                      concurrent conversations (turns scenario), default 50
 *   --duration S  --warmup S  --repeat K   turns scenario: seconds per measured phase (6), warm-up seconds (3),
 *                                          measured phases per bot (3, alternating echo / help-desk)
 *   --think S  --paced S                   turns scenario: the paced phase after the saturated ones — pause between
 *                                          turns (1 s ±50%, 0 skips the phase) and its length (10 s)
 *   --only echo|helpdesk                   turns scenario: run one bot only
 *   --bot-node-options="FLAGS"             turns and startup scenarios: Node/V8 flags on the help-desk bot's command line; default:
 *                                          the flags of package.json's start script (heap limits); "" for none
 *   --echo-node-options="FLAGS"            turns scenario: Node/V8 flags on the echo bot's command line; default none (the
 *                                          stock bot as node runs it). "start" gives it the flags of package.json's start
 *                                          script, to compare both bots' memory under the same heap limits
 *   --profile                              CPU profiles of both bots over the measured phases (V8 profiler, as
 *                                          node --cpu-prof) in bench/results/profiles/; summarise with
 *                                          `npx tsx bench/profileSummary.ts FILE`
 *   --heap-profile                         allocation profiles (V8's sampling heap profiler, freed objects included)
 *                                          of both bots over the measured phases in bench/results/profiles/;
 *                                          summarise with `npx tsx bench/heapProfileSummary.ts FILE`
 *   --cpu-prof                             node --cpu-prof over each bot's whole life (start-up included)
 *   --sizes 1000,10000,100000              storage scenario: request counts
 *   --stored N                             startup scenario: conversations stored before RSS is read (10000)
 *   --no-build                             use dist/ as it is (default: npm run build first, as the bots run compiled,
 *                                          the way npm start runs them)
 *   --tsx                                  turns scenario: run the bots from their sources through tsx (no build)
 *
 * JSON results go to bench/results/; the stdout table of the turns scenario ends with `ratio: X.XX`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startScriptNodeFlags } from './startFlags';
import type { BenchProvider } from './databases';
import { RESULTS_DIR } from './report';
import { runStartup } from './startup';
import { runStorage } from './storage';
import { runTurns } from './turns';

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'turns' },
      db: { type: 'string', default: 'sqlite' },
      conversations: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      only: { type: 'string' },
      think: { type: 'string' },
      paced: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'heap-profile': { type: 'boolean', default: false },
      sizes: { type: 'string' },
      stored: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      'bot-node-options': { type: 'string' },
      'echo-node-options': { type: 'string' },
    },
    allowPositionals: false,
  });
  const db = values.db === 'postgres' || values.db === 'postgresql' ? 'postgresql' : values.db === 'sqlite' ? 'sqlite' : undefined;
  if (!db) throw new Error('--db must be sqlite or postgres');
  const provider: BenchProvider = db;
  const scenarios = values.scenario === 'all' ? ['storage', 'startup', 'turns'] : [values.scenario!];
  for (const s of scenarios) if (!['turns', 'storage', 'startup'].includes(s)) throw new Error(`unknown --scenario ${s}`);
  if (values.only && values.only !== 'echo' && values.only !== 'helpdesk') throw new Error('--only must be echo or helpdesk');
  // Both profilers would share the bot's one inspector session: one at a time.
  if (values.profile && values['heap-profile']) throw new Error('--profile and --heap-profile cannot be used in the same run');
  // The help-desk bot runs with the Node flags of `npm start` (heap limits) unless told otherwise.
  const botNodeOptions = values['bot-node-options'] ?? startScriptNodeFlags();
  // The echo bot runs as node runs it, unless told otherwise ("start": the same flags as the help-desk bot's npm start).
  const echoNodeOptions = values['echo-node-options'] === 'start' ? startScriptNodeFlags() : values['echo-node-options'];

  // The bots run as `npm start` runs them: compiled (dist/), so build first.
  const needsBuild = scenarios.includes('startup') || (scenarios.includes('turns') && !values.tsx);
  if (needsBuild && !values['no-build']) {
    process.stderr.write('npm run build…\n');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'ignore', 'inherit'] });
  }

  const outputs: string[] = [];
  let ratio: number | undefined;
  for (const scenario of scenarios) {
    if (scenario === 'storage') {
      const sizes = (values.sizes ?? '1000,10000,100000').split(',').map((s) => positive('sizes', s.trim(), 0));
      const res = await runStorage({ provider, sizes });
      outputs.push(res.table, `(${path.relative(process.cwd(), res.file)})`);
    } else if (scenario === 'startup') {
      const res = await runStartup({ provider, stored: Math.round(positive('stored', values.stored, 10_000)), botNodeOptions });
      outputs.push(res.table, `(${path.relative(process.cwd(), res.file)})`);
    } else {
      const res = await runTurns({
        provider,
        conversations: Math.round(positive('conversations', values.conversations, 50)),
        durationMs: positive('duration', values.duration, 6) * 1000,
        warmupMs: positive('warmup', values.warmup, 3) * 1000,
        repeat: Math.round(positive('repeat', values.repeat, 3)),
        only: values.only as 'echo' | 'helpdesk' | undefined,
        pacedThinkMs: values.think === '0' ? 0 : positive('think', values.think, 1) * 1000,
        pacedDurationMs: positive('paced', values.paced, 10) * 1000,
        tsx: values.tsx,
        botNodeOptions,
        echoNodeOptions,
        profileDir: values.profile ? path.join(RESULTS_DIR, 'profiles') : undefined,
        heapProfileDir: values['heap-profile'] ? path.join(RESULTS_DIR, 'profiles') : undefined,
        cpuProfDir: values['cpu-prof'] ? path.join(RESULTS_DIR, 'profiles') : undefined,
      });
      outputs.push(res.table, `(${path.relative(process.cwd(), res.file)})`);
      ratio = res.ratio;
    }
    outputs.push('');
  }
  if (ratio !== undefined) outputs.push(`ratio: ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'}`);
  else outputs.pop();
  process.stdout.write(`${outputs.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
