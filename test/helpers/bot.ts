import { loadConfig } from '../../bot/config';
import { startApp, type AppOptions, type RunningApp } from '../../bot/app';

/** Starts the real bot on a free loopback port against the given database. */
export async function startTestBot(databaseUrl: string, env: Record<string, string> = {}, options: AppOptions = {}): Promise<RunningApp> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, LOCAL_CHAT: 'false', LOG_LEVEL: 'silent', ...env });
  return startApp(config, { host: '127.0.0.1', ...options });
}
