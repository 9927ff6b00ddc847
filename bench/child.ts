import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export interface BotProcess {
  name: string;
  pid: number;
  port: number;
  /** Milliseconds from spawn to the bot's "ready" message. */
  readyMs: number;
  /** Asks the bot to send a command over IPC and waits for the answer of type `reply`. */
  command(message: Record<string, unknown>, reply: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Run the TypeScript source through tsx instead of the compiled dist/bench/<name>.js (tsx adds ~35 MiB of RSS). */
  tsx?: boolean;
  /** Write a V8 CPU profile (node --cpu-prof) into this folder when the process exits. */
  cpuProfDir?: string;
  /**
   * Node and V8 flags before the script, as `npm start` passes them (`node FLAGS dist/bot/index.js`): on the command
   * line, V8 flags that NODE_OPTIONS refuses (`--single-threaded-gc`, `--optimize-for-size`…) work too.
   */
  nodeFlags?: string;
}

/** Splits a flags string (`--a=1 --b`) into arguments. */
export function flagArgs(flags: string | undefined): string[] {
  return (flags ?? '').split(/\s+/).filter(Boolean);
}

const ROOT = path.resolve(__dirname, '..');

/**
 * Starts a bench bot (`bench/<module>.ts`) in its own Node process, as compiled by `npm run build`
 * (dist/bench/<module>.js, like `npm start`) or through tsx, and waits for it to report its port over IPC.
 */
export function spawnBot(name: string, module: string, options: SpawnOptions = {}): Promise<BotProcess> {
  const args = ['--no-deprecation', ...flagArgs(options.nodeFlags)];
  if (options.tsx) args.push('--import', 'tsx');
  // One folder per bot: Node writes one profile per thread (main thread and tsx's module-loader worker).
  if (options.cpuProfDir) args.push('--cpu-prof', '--cpu-prof-dir', path.join(options.cpuProfDir, name));
  args.push(options.tsx ? path.join(ROOT, 'bench', `${module}.ts`) : path.join(ROOT, 'dist', 'bench', `${module}.js`));
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // Keep the bench's stdout for the table: the bots' own output goes to stderr.
  child.stdout?.pipe(process.stderr);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${name} exited with code ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m?.type !== 'ready' || typeof m.port !== 'number') return;
      child.off('exit', onExit);
      resolve({
        name,
        pid: child.pid!,
        port: m.port,
        readyMs: performance.now() - started,
        command: (message, reply) =>
          new Promise((done) => {
            const onMessage = (answer: { type?: string }) => {
              if (answer?.type !== reply) return;
              child.off('message', onMessage);
              done(answer as Record<string, unknown>);
            };
            child.on('message', onMessage);
            child.send(message);
          }),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.send({ type: 'stop' });
          }),
      });
    });
  });
}
