import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../bot/config';
import { startApp, type AppOptions, type RunningApp } from '../../bot/app';

/** Starts the real bot on a free loopback port against the given database. */
export async function startTestBot(databaseUrl: string, env: Record<string, string> = {}, options: AppOptions = {}): Promise<RunningApp> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, LOCAL_CHAT: 'false', LOG_LEVEL: 'silent', ...env });
  return startApp(config, { host: '127.0.0.1', ...options });
}

/** The real bot in a Node process of its own (`test/helpers/childBot.ts`), with its timers on. */
export interface BotProcess {
  child: ChildProcess;
  port: number;
}

/** Starts the bot in a child process with these settings (DATABASE_URL among them); resolves once it listens. */
export function startBotProcess(env: Record<string, string>): Promise<BotProcess> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'childBot.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<BotProcess>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = out.match(/PORT (\d+)/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`bot process exited (${code}) before listening`)));
  });
}

/** Ends a bot process (SIGTERM; SIGKILL for a crash) and waits for it to exit; nothing if it has already. */
export async function stopBotProcess(bot: BotProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  const exited = new Promise((resolve) => bot.child.once('exit', resolve));
  bot.child.kill(signal);
  await exited;
}
