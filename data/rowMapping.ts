/**
 * Rows read with plain SQL ({@link SqlRunner}) turned into the same plain objects Prisma returns.
 * @remarks SQLite gives dates as the TEXT Prisma wrote (`2026-01-31T12:00:00.000+00:00`) and booleans as 0/1;
 * PostgreSQL gives Date objects (read as UTC by the runner) and booleans. Integers are numbers on both.
 */

import { readSqlDate } from './sql';

type ColumnType = 'string' | 'int' | 'bool' | 'date';
/** Property name → [column name, type, nullable]. */
export type RowSpec<T> = { [K in keyof T]-?: readonly [column: string, type: ColumnType, nullable: boolean] };

function convert(value: unknown, type: ColumnType): unknown {
  switch (type) {
    case 'string':
      return String(value);
    case 'int':
      return Number(value);
    case 'bool':
      return value === true || value === 1 || value === '1' || value === 't' || value === 'true' || value === 1n;
    case 'date':
      return readSqlDate(typeof value === 'bigint' ? Number(value) : value);
  }
}

/** A mapper from SQL rows (keyed by column name) to records (keyed by property). */
export function rowMapper<T>(spec: RowSpec<T>): { columns: string; map(row: Record<string, unknown>): T } {
  const entries = Object.entries(spec) as [string, readonly [string, ColumnType, boolean]][];
  return {
    /** The select list, quoted (`"id", "reference", …`). */
    columns: entries.map(([, [column]]) => `"${column}"`).join(', '),
    map(row) {
      const out: Record<string, unknown> = {};
      for (const [prop, [column, type, nullable]] of entries) {
        const value = row[column];
        if (value === null || value === undefined) {
          if (!nullable) throw new Error(`column ${column} is unexpectedly null`);
          out[prop] = null;
        } else {
          out[prop] = convert(value, type);
        }
      }
      return out as T;
    },
  };
}
