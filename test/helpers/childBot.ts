/**
 * Runs the real bot in a child process (for tests that kill it): `node -r tsx/cjs test/helpers/childBot.ts`
 * with DATABASE_URL and any other setting in the environment. Prints `PORT <n>` once it listens.
 */
import { startTestBot } from './bot';

const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => /^[A-Z_]+$/.test(k) && v !== undefined)) as Record<string, string>;
startTestBot(process.env.DATABASE_URL!, env).then(
  (app) => process.stdout.write(`PORT ${app.port}\n`),
  (err) => {
    process.stderr.write(`child bot failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
