// `npm run build` (after tsc): trains the support router once and saves its model next to the compiled router
// (dist/domain/routing/router-model.json), so that start-up loads it instead of training (~30 ms instead of ~300).
import fs from 'node:fs';
import { Router, ROUTER_MODEL_FILE } from '../domain/routing/classifier';

async function main(): Promise<void> {
  const router = await Router.train();
  fs.writeFileSync(ROUTER_MODEL_FILE, JSON.stringify(router.toModel()));
  process.stdout.write(`router model saved: ${ROUTER_MODEL_FILE}\n`);
}

main().catch((err) => {
  process.stderr.write(`router model: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
