// Measures the support router on an evaluation file: `npm run route:eval -- FILE.jsonl`.
// Prints one line per message, a confusion summary, and last `accuracy: CORRECT/TOTAL`. Always exits 0: it measures, it does not judge.
import fs from 'node:fs';
import { evaluateRoutes, formatEvaluation, parseEvalLines } from '../domain/routing';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npm run route:eval -- FILE.jsonl');
    console.log('accuracy: 0/0');
    return;
  }
  const result = await evaluateRoutes(parseEvalLines(fs.readFileSync(file, 'utf8')));
  for (const line of formatEvaluation(result)) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.log('accuracy: 0/0');
});
