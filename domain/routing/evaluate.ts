import { resolveLang, type Lang } from '../i18n';
import { getRouter } from './classifier';
import type { RouteId } from './routes';

/** One line of an evaluation file (JSON Lines: `text`, `locale`, `route`). */
export interface EvalLine {
  text: string;
  locale: string;
  route: string;
}

/** The router's answer for one evaluation line. */
export interface EvalRow {
  text: string;
  locale: string;
  expected: string;
  predicted: RouteId;
  score: number;
  lang: Lang;
  correct: boolean;
}

/** Counts per expected route, then per predicted route. */
export type Confusion = Record<string, Record<string, number>>;

/** The outcome of running the router over an evaluation set. */
export interface RouteEvaluation {
  rows: EvalRow[];
  correct: number;
  total: number;
  confusion: Confusion;
}

/** Parses a JSON Lines evaluation file's content (blank lines ignored). */
export function parseEvalLines(content: string): EvalLine[] {
  return content
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const value = JSON.parse(line) as Partial<EvalLine>;
      if (typeof value.text !== 'string' || typeof value.route !== 'string') {
        throw new Error(`line ${i + 1}: expected {"text", "locale", "route"}`);
      }
      return { text: value.text, locale: value.locale ?? '', route: value.route };
    });
}

/** Classifies every line with the shared router (the locale is passed as the language hint) and tallies the result. */
export async function evaluateRoutes(lines: EvalLine[]): Promise<RouteEvaluation> {
  const router = await getRouter();
  const rows: EvalRow[] = [];
  const confusion: Confusion = {};
  for (const line of lines) {
    const hint = line.locale ? resolveLang(line.locale) : undefined;
    const decision = await router.classify(line.text, hint);
    const correct = decision.route === line.route;
    rows.push({ text: line.text, locale: line.locale, expected: line.route, predicted: decision.route, score: decision.score, lang: decision.lang, correct });
    const byPredicted = (confusion[line.route] ??= {});
    byPredicted[decision.route] = (byPredicted[decision.route] ?? 0) + 1;
  }
  return { rows, correct: rows.filter((r) => r.correct).length, total: rows.length, confusion };
}

/** Renders an evaluation as text lines: one per row, the confusion summary, and last `accuracy: CORRECT/TOTAL`. */
export function formatEvaluation(result: RouteEvaluation): string[] {
  const out = result.rows.map(
    (r) => `${r.correct ? 'ok  ' : 'MISS'}  ${JSON.stringify(r.text)}  expected=${r.expected}  predicted=${r.predicted}  score=${r.score.toFixed(2)}  lang=${r.lang}`,
  );
  out.push('', 'confusion (expected → predicted: count):');
  for (const expected of Object.keys(result.confusion).sort()) {
    const cells = Object.entries(result.confusion[expected]!)
      .sort(([a], [b]) => (a === expected ? -1 : b === expected ? 1 : a.localeCompare(b)))
      .map(([predicted, n]) => `${predicted === expected ? '✓' : '✗ ' + predicted}: ${n}`);
    out.push(`  ${expected.padEnd(24)} ${cells.join(', ')}`);
  }
  out.push('', `accuracy: ${result.correct}/${result.total}`);
  return out;
}
