import fs from 'node:fs';
import path from 'node:path';
import { Umzug, type UmzugStorage } from './umzug';
import type { Database, DatabaseProvider, DbTx } from './db';

const MIGRATIONS_TABLE = 'schema_migrations';
/** Arbitrary constant that serialises concurrent migrations on PostgreSQL. */
const PG_MIGRATION_LOCK = 4_182_821_743;

function findMigrationsDir(): string {
  for (const candidate of [path.resolve(__dirname, '..', 'prisma', 'migrations'), path.resolve(__dirname, '..', '..', 'prisma', 'migrations')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('prisma/migrations not found');
}

/** Splits a migration file into statements (our SQL files never put a semicolon inside a statement). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Records executed migrations in a table of their own, inside the migrating transaction. */
class TableStorage implements UmzugStorage<DbTx> {
  /** Parameter placeholders: `?` on SQLite (better-sqlite3 reads `$1` as a named parameter), `$n` on PostgreSQL. */
  private readonly p: (n: number) => string;
  constructor(provider: DatabaseProvider) {
    this.p = provider === 'sqlite' ? () => '?' : (n) => `$${n}`;
  }
  async logMigration({ name, context }: { name: string; context: DbTx }): Promise<void> {
    await context.$executeRawUnsafe(`INSERT INTO ${MIGRATIONS_TABLE} (name, executed_at) VALUES (${this.p(1)}, ${this.p(2)})`, name, new Date().toISOString());
  }
  async unlogMigration({ name, context }: { name: string; context: DbTx }): Promise<void> {
    await context.$executeRawUnsafe(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = ${this.p(1)}`, name);
  }
  async executed({ context }: { context: DbTx }): Promise<string[]> {
    const rows = await context.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`);
    return rows.map((r) => r.name);
  }
}

/** Lists the SQL migrations of one provider, in order. */
export function migrationFiles(provider: DatabaseProvider): { name: string; file: string }[] {
  const dir = path.join(findMigrationsDir(), provider);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ name: f.replace(/\.sql$/, ''), file: path.join(dir, f) }));
}

/**
 * Applies the pending SQL migrations of the database's provider, with umzug, in one transaction.
 * @remarks On PostgreSQL a transaction-level advisory lock makes concurrent start-ups of several instances safe.
 * @returns the names of the migrations applied now.
 */
export async function migrate(db: Database): Promise<string[]> {
  const { prisma, provider } = db;
  return prisma.$transaction(
    async (tx) => {
      if (provider === 'postgresql') {
        await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})::text AS locked`);
      }
      await tx.$executeRawUnsafe(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT NOT NULL PRIMARY KEY, executed_at TEXT NOT NULL)`,
      );
      const umzug = new Umzug<DbTx>({
        context: tx,
        storage: new TableStorage(provider),
        logger: undefined,
        migrations: migrationFiles(provider).map(({ name, file }) => ({
          name,
          up: async ({ context }) => {
            for (const statement of splitStatements(fs.readFileSync(file, 'utf8'))) {
              await context.$executeRawUnsafe(statement);
            }
          },
        })),
      });
      const applied = await umzug.up();
      return applied.map((m) => m.name);
    },
    { timeout: 120_000, maxWait: 60_000 },
  );
}
