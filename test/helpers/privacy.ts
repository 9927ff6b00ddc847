import { Writable } from 'node:stream';
import type { Database } from '../../data/db';
import { looksLikeSecret } from '../../domain/intake/secrets';

/** Collects every line written to it (a pino destination). */
export function logSink(): { lines: string[]; stream: Writable; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream, text: () => lines.join('\n') };
}

/** Captures (and silences) everything written through console.* — where third-party libraries log. */
export function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : safeJson(a))).join(' '));
    }),
  );
  return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}

/** Every row of every table, as JSON text per table (so a table added later is covered too). */
export async function dumpDatabase(db: Pick<Database, 'prisma' | 'provider'>): Promise<Record<string, string>> {
  const tables =
    db.provider === 'sqlite'
      ? await db.prisma.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      : await db.prisma.$queryRawUnsafe<{ name: string }[]>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`);
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const rows = await db.prisma.$queryRawUnsafe<unknown[]>(`SELECT * FROM "${name}"`);
    out[name] = safeJson(rows);
  }
  return out;
}

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/u;

/**
 * What looks like personal data or a secret in a text: any of the given values (case-insensitive, also in its
 * JSON-escaped form), any email address, any token shaped like a password or RAMQ secret code.
 * @returns one finding per pattern hit, with a little context.
 */
export function personalDataIn(text: string, values: readonly string[]): string[] {
  const findings: string[] = [];
  const lower = text.toLowerCase();
  for (const value of values) {
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      const at = lower.indexOf(form.toLowerCase());
      if (at >= 0) findings.push(`value «${value}»: …${text.slice(Math.max(0, at - 60), at + form.length + 20)}…`);
    }
  }
  const email = EMAIL.exec(text);
  if (email) findings.push(`an email address: ${email[0]}`);
  for (const line of text.split('\n')) {
    if (looksLikeSecret(line.replace(/[{}",:[\]]/g, ' '))) findings.push(`a secret-shaped token in: ${line.slice(0, 200)}`);
  }
  return findings;
}
