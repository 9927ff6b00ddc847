/**
 * The help-desk bot as the bench runs it: `startApp` from bot/app.ts on a loopback port, in its own process.
 * @remarks NODE_ENV=test (production refuses to run without Azure credentials), no local chat page, quiet logs.
 * DATABASE_URL comes from the parent.
 */
import { startApp } from '../bot/app';
import { loadConfig } from '../bot/config';
import { answerBenchCommands } from './botControl';

async function main(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    PORT: process.env.PORT ?? '0',
    LOCAL_CHAT: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const app = await startApp(config, { host: '127.0.0.1' });
  process.send?.({ type: 'ready', port: app.port });
  answerBenchCommands();
  const stop = () => app.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`help-desk bot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
