import fs from 'node:fs';
import path from 'node:path';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from '../generated/prisma-sqlite/client';
import { PrismaClient as PostgresClient } from '../generated/prisma-postgresql/client';

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
  const file = url.slice('file:'.length);
  if (file === ':memory:') return url;
  const absolute = path.resolve(file);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}

type LibSqlClient = ReturnType<PrismaLibSql['createClient']>;
type LibSqlTransaction = Awaited<ReturnType<LibSqlClient['transaction']>>;

/**
 * Runs every query and transaction of the libSQL client on its one connection.
 * @remarks `@libsql/client` hands its connection to each transaction and opens a new one for whatever comes next:
 * one new SQLite connection per `$transaction`, each without our pragmas (so `synchronous` fell back to FULL, an
 * fsync on every commit, and `busy_timeout`/`foreign_keys` were lost). Keeping one connection is safe: the Prisma
 * adapter holds its lock from BEGIN to COMMIT/ROLLBACK, so nothing else runs on the connection meanwhile.
 */
function onOneConnection(client: LibSqlClient): LibSqlClient {
  const transaction = async (mode: string = 'deferred'): Promise<LibSqlTransaction> => {
    await client.execute(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED');
    let closed = false;
    const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
      if (closed) return;
      closed = true;
      await client.execute(sql);
    };
    const tx = {
      execute: (stmt: Parameters<LibSqlClient['execute']>[0], args?: never) => client.execute(stmt as never, args),
      batch: async (stmts: Parameters<LibSqlTransaction['batch']>[0]) => {
        const results = [];
        for (const stmt of stmts) results.push(await client.execute(stmt as never));
        return results;
      },
      executeMultiple: async () => {
        throw new Error('executeMultiple is not supported inside a transaction');
      },
      commit: () => end('COMMIT'),
      rollback: () => end('ROLLBACK'),
      close: () => void end('ROLLBACK').catch(() => undefined),
      get closed() {
        return closed;
      },
    };
    return tx as unknown as LibSqlTransaction;
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The libSQL driver adapter, on one connection (see {@link onOneConnection}). */
class OneConnectionLibSql extends PrismaLibSql {
  override createClient(config: Parameters<PrismaLibSql['createClient']>[0]): LibSqlClient {
    return onOneConnection(super.createClient(config));
  }
}

/** The one Prisma client factory: SQLite for file: URLs, PostgreSQL for postgres:// URLs. */
export async function openDatabase(url: string): Promise<Database> {
  const provider = providerOf(url);
  let prisma: Db;
  if (provider === 'sqlite') {
    prisma = new SqliteClient({ adapter: new OneConnectionLibSql({ url: sqliteFileUrl(url) }) });
    // WAL lets readers go on while one writer writes; wait instead of failing when the file is busy.
    await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await prisma.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
    await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  } else {
    const pg = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
    prisma = pg as unknown as Db;
  }
  return { prisma, provider, close: () => prisma.$disconnect() };
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
