import { fixed } from './report';

/**
 * The performance targets of the bench's issue, on this 2-core machine: each scenario checks the ones it measures and
 * prints them under its table (and in its JSON), met or not, so a run says where things stand without the reader
 * having to remember the limits.
 */
export const TARGETS = {
  /** Help-desk turns/s ÷ stock echo bot turns/s, saturated, same run. */
  ratio: 0.8,
  /** Help-desk p95 turn latency at 50 concurrent conversations on SQLite (ms). */
  p95Ms: 50,
  /** Resident memory (MiB). */
  rssMiB: 150,
  /** Spawn → healthy /healthz (ms). */
  startupMs: 2000,
  /** The managers' queue query at the largest size ÷ at the smallest. */
  queueGrowth: 2,
} as const;

export interface TargetCheck {
  /** What is measured, as printed. */
  name: string;
  value: number;
  limit: number;
  /** `min`: the value must be at least the limit; `max`: at most. */
  bound: 'min' | 'max';
  met: boolean;
  /** Decimals printed for the value and the limit. */
  digits: number;
  /** Printed after the value (`ms`, `MiB`, `×`). */
  unit: string;
}

/** One target checked against one measurement; a measurement that is not a number is not met. */
export function checkTarget(name: string, value: number, limit: number, bound: 'min' | 'max', unit = '', digits = 1): TargetCheck {
  const met = Number.isFinite(value) && (bound === 'min' ? value >= limit : value <= limit);
  return { name, value, limit, bound, met, digits, unit };
}

/** `targets: NAME ≥ LIMIT: VALUE met · NAME ≤ LIMIT: VALUE NOT MET`, or '' when nothing was checked. */
export function targetsLine(checks: readonly TargetCheck[]): string {
  if (!checks.length) return '';
  const unit = (c: TargetCheck) => (c.unit === '×' ? '' : c.unit ? ` ${c.unit}` : '');
  const number = (c: TargetCheck, n: number, digits: number) => `${c.unit === '×' ? '×' : ''}${fixed(n, digits)}${unit(c)}`;
  // A whole limit is printed whole (≤ 150 MiB); a fractional one with the value's decimals (≥ 0.80).
  const limit = (c: TargetCheck) => number(c, c.limit, Number.isInteger(c.limit) ? 0 : c.digits);
  const parts = checks.map((c) => `${c.name} ${c.bound === 'min' ? '≥' : '≤'} ${limit(c)}: ${number(c, c.value, c.digits)} ${c.met ? 'met' : 'NOT MET'}`);
  return `targets: ${parts.join(' · ')}`;
}
