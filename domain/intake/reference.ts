/** A request reference split into its parts. */
export interface ReferenceParts {
  year: number;
  n: number;
}

const REFERENCE = /^DMA-(\d{4})-(\d{5,})$/i;
const REFERENCE_IN_TEXT = /\bDMA-(\d{4})-(\d{5,})\b/i;

/**
 * Formats a request reference: `DMA-<year>-<n>`, `n` zero-padded to 5 digits (more when it needs them).
 * @example formatReference(2026, 42) // 'DMA-2026-00042'
 */
export function formatReference(year: number, n: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year must be a 4-digit integer, got ${year}`);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  return `DMA-${year}-${String(n).padStart(5, '0')}`;
}

/** Parses a reference typed by a user (case and surrounding spaces ignored); undefined when it is not one. */
export function parseReference(text: string): ReferenceParts | undefined {
  const match = REFERENCE.exec(text.trim());
  return match ? toParts(match) : undefined;
}

/** Finds the first reference inside a sentence (« où en est DMA-2026-00042? »). */
export function findReference(text: string): ReferenceParts | undefined {
  const match = REFERENCE_IN_TEXT.exec(text);
  return match ? toParts(match) : undefined;
}

function toParts(match: RegExpExecArray): ReferenceParts | undefined {
  const n = Number(match[2]);
  return Number.isSafeInteger(n) && n >= 1 ? { year: Number(match[1]), n } : undefined;
}
