import fs from 'node:fs';
import path from 'node:path';

/**
 * The Node flags `npm start` runs the bot with (package.json's `start` script: `node FLAGS dist/bot/index.js`), so
 * the bench measures the help-desk bot the way it is deployed. `--bot-node-options` overrides them (`""` for none).
 */
export function startScriptNodeFlags(packageJson = path.resolve(__dirname, '..', 'package.json')): string {
  const start = (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { scripts?: Record<string, string> }).scripts?.start ?? '';
  const match = /\bnode\s+((?:--[\w-]+(?:=\S+)?\s+)*)\S*index\.js/.exec(start);
  return match ? match[1]!.trim() : '';
}
