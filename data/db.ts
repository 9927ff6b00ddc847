import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, types as pgTypes, type PoolClient } from 'pg';

/** pg's type id of TIMESTAMP (without time zone). */
const TIMESTAMP_OID = 1114;

/** Prisma stores TIMESTAMP(3) in UTC; pg would read a timestamp without time zone in the process's zone. */
const UTC_TIMESTAMPS = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID ? (v: string) => new Date(`${v.replace(' ', 'T')}Z`) : pgTypes.getTypeParser(oid, format as 'text')) as typeof pgTypes.getTypeParser,
};
import { PrismaClient as SqliteClient } from '../generated/prisma-sqlite/client';
import { PrismaClient as PostgresClient } from '../generated/prisma-postgresql/client';
import { registerSqlRunner, toPostgresPlaceholders, sqlDate, type SqlRunner, type SqlValue } from './sql';
import { SqliteConnection, sqliteFilePath } from './sqliteConnection';

/*
 * Prisma's query compiler is a 4 MB WebAssembly module. V8 compiles it with Liftoff, then recompiles hot functions
 * with TurboFan in the background: that second tier costs ~50 MB of resident memory and ~0.6 s of CPU at start-up,
 * and saves nothing measurable per query here (bench: docs/PERFORMANCE.md). Keep the first tier only; this must run
 * before the first client is created (wasm flags are read when a module is compiled).
 */
v8.setFlagsFromString('--liftoff-only');

/**
 * The Prisma client type the repositories are written against.
 * @remarks Both generated clients come from one schema and expose the same API; the SQLite one is used as the type.
 */
export type Db = SqliteClient;
/** A client or an interactive transaction: what repositories accept. */
export type DbTx = Omit<Db, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export type DatabaseProvider = 'sqlite' | 'postgresql';

export interface Database {
  prisma: Db;
  provider: DatabaseProvider;
  /** Plain SQL on the same driver (see {@link SqlRunner}); repositories find it with `sqlRunnerOf(prisma)`. */
  sql: SqlRunner;
  close(): Promise<void>;
}

/** Which provider a DATABASE_URL designates. */
export function providerOf(url: string): DatabaseProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new Error('DATABASE_URL must be a file: or postgres(ql):// URL');
}

/** Resolves `file:relative/path.db` against the working directory and makes sure its folder exists. */
function sqliteFileUrl(url: string): string {
  const file = sqliteFilePath(url);
  if (!file) return url;
  const absolute = path.resolve(file);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}

/** What {@link openDatabase} reports besides errors; every field is optional. */
export interface DatabaseEvents {
  /** SQLite: the checkpoint thread could not run or ended (the connection checkpoints by itself from then on). */
  onCheckpointFailure?: (error: Error) => void;
}

/** The one Prisma client factory: SQLite for file: URLs, PostgreSQL for postgres:// URLs. */
export async function openDatabase(url: string, events: DatabaseEvents = {}): Promise<Database> {
  const provider = providerOf(url);
  let prisma: Db;
  let sql: SqlRunner;
  let closePool = async () => undefined as void;
  if (provider === 'sqlite') {
    // One better-sqlite3 connection for Prisma and the plain-SQL runner, its pragmas applied when it opens.
    const connection = new SqliteConnection(sqliteFileUrl(url), { backgroundCheckpoint: { onFailure: events.onCheckpointFailure } });
    prisma = new SqliteClient({ adapter: connection.factory() });
    await prisma.$connect();
    sql = connection.runner();
  } else {
    // One pool for Prisma and for the plain-SQL runner.
    const pool = new Pool({ connectionString: url, max: 10 });
    // An idle connection the server ends (restart, failover, a dropped database) must not crash the process:
    // the pool discards it and the next query opens a new one.
    pool.on('error', () => undefined);
    const pg = new PostgresClient({ adapter: new PrismaPg(pool) });
    prisma = pg as unknown as Db;
    sql = postgresRunner(pool);
    closePool = () => pool.end();
  }
  registerSqlRunner(prisma, sql);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    provider,
    sql,
    close: () => {
      // Idempotent: a shutdown path and a test may both close the same database.
      closing ??= (async () => {
        await prisma.$disconnect();
        await closePool();
      })();
      return closing;
    },
  };
}

/** How many distinct statements the PostgreSQL runner prepares by name; any further one is sent unnamed. */
const MAX_PREPARED = 200;

/** The plain-SQL runner on PostgreSQL: statements on the pool, transactions on one client of it. */
function postgresRunner(pool: Pool): SqlRunner {
  const date = (v: unknown) => (v instanceof Date ? sqlDate('postgresql', v) : v);
  // Dates as Prisma stores them, alone or in an array parameter.
  const params = (values: readonly SqlValue[]) => values.map((v) => (Array.isArray(v) ? v.map(date) : date(v)));
  // One query config per distinct SQL text: its `$n` text and a stable name, so that each connection parses and plans
  // a statement once (pg remembers per connection which names it has prepared) and then only binds and executes it.
  const statements = new Map<string, { name?: string; text: string }>();
  const statement = (sql: string) => {
    let known = statements.get(sql);
    if (!known) {
      const text = toPostgresPlaceholders(sql);
      if (statements.size >= MAX_PREPARED) return { text };
      known = { name: `s${statements.size}`, text };
      statements.set(sql, known);
    }
    return known;
  };
  const run = (client: Pool | PoolClient, sql: string, values: readonly SqlValue[]) => {
    const { name, text } = statement(sql);
    return client.query({ name, text, values: params(values), types: UTC_TIMESTAMPS });
  };
  const on = (client: Pool | PoolClient, isOpen: () => boolean = () => true): Omit<SqlRunner, 'transaction'> => ({
    provider: 'postgresql',
    query: async <T extends Record<string, unknown>>(text: string, values: readonly SqlValue[] = []) => {
      if (!isOpen()) throw new Error('the transaction is over');
      return (await run(client, text, values)).rows as T[];
    },
    execute: async (text: string, values: readonly SqlValue[] = []) => {
      if (!isOpen()) throw new Error('the transaction is over');
      return (await run(client, text, values)).rowCount ?? 0;
    },
  });
  return {
    ...on(pool),
    transaction: async <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      let open = false;
      // Set when BEGIN, COMMIT or ROLLBACK failed: the client may be in any state, so it is destroyed, not reused.
      let discard: Error | undefined;
      const tx: SqlRunner = {
        ...on(client, () => open),
        transaction: () => Promise.reject(new Error('nested transactions are not supported')),
      };
      try {
        await client.query('BEGIN').catch((err: Error) => Promise.reject((discard = err)));
        open = true;
        let result: T;
        try {
          result = await fn(tx);
        } catch (err) {
          open = false;
          await client.query('ROLLBACK').catch((rollbackError: Error) => (discard = rollbackError));
          throw err;
        }
        open = false;
        await client.query('COMMIT').catch((err: Error) => Promise.reject((discard = err)));
        return result;
      } finally {
        open = false;
        client.release(discard);
      }
    },
  };
}

/** True when the database answers a trivial query within the time limit. */
export async function databaseAnswers(db: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
    });
    await Promise.race([db.prisma.$queryRawUnsafe('SELECT 1'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
