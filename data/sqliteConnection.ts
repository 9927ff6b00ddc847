import { PrismaLibSql } from '@prisma/adapter-libsql';
import { sqlDate, type SqlRunner, type SqlValue } from './sql';

type LibSqlClient = ReturnType<PrismaLibSql['createClient']>;
type LibSqlTransaction = Awaited<ReturnType<LibSqlClient['transaction']>>;
type LibSqlStatement = Parameters<LibSqlClient['execute']>[0];

/**
 * The libSQL driver adapter on one SQLite connection, with a plain-SQL runner on the same connection.
 * @remarks `@libsql/client` hands its connection to each transaction and opens a new one for whatever comes next:
 * one new SQLite connection per `$transaction`, each without our pragmas (so `synchronous` fell back to FULL, an
 * fsync on every commit, and `busy_timeout`/`foreign_keys` were lost). Keeping one connection is safe: the Prisma
 * adapter holds its lock from BEGIN to COMMIT/ROLLBACK, so none of its queries interleave, and the runner waits
 * for an open transaction to end (each libSQL call runs synchronously, so nothing slips in between).
 */
export class OneConnectionLibSql extends PrismaLibSql {
  private client?: LibSqlClient;
  /** Settles when the transaction open on the connection (if any) ends. */
  private openTransaction?: Promise<void>;

  override createClient(config: Parameters<PrismaLibSql['createClient']>[0]): LibSqlClient {
    const client = super.createClient(config);
    this.client = client;
    const transaction = async (mode: string = 'deferred'): Promise<LibSqlTransaction> => {
      // A plain-SQL transaction may hold the connection: wait for it to end.
      while (this.openTransaction) await this.openTransaction;
      let ended!: () => void;
      this.openTransaction = new Promise<void>((resolve) => (ended = resolve));
      try {
        await client.execute(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED');
      } catch (err) {
        this.openTransaction = undefined;
        ended();
        throw err;
      }
      let closed = false;
      const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
        if (closed) return;
        closed = true;
        try {
          await client.execute(sql);
        } finally {
          this.openTransaction = undefined;
          ended();
        }
      };
      const tx = {
        execute: (stmt: LibSqlStatement, args?: never) => client.execute(stmt as never, args),
        batch: async (stmts: LibSqlStatement[]) => {
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

  /** Plain SQL on the same connection, outside any open transaction (the client must be connected). */
  runner(): SqlRunner {
    const run = async (sql: string, params: readonly SqlValue[] = []) => {
      while (this.openTransaction) await this.openTransaction;
      if (!this.client) throw new Error('the SQLite client is not connected yet');
      const args = params.map((p) => (p instanceof Date ? sqlDate('sqlite', p) : typeof p === 'boolean' ? (p ? 1 : 0) : p));
      return this.client.execute({ sql, args });
    };
    const direct = (sql: string, params: readonly SqlValue[] = []) => {
      const args = params.map((p) => (p instanceof Date ? sqlDate('sqlite', p) : typeof p === 'boolean' ? (p ? 1 : 0) : p));
      return this.client!.execute({ sql, args });
    };
    const runner: SqlRunner = {
      provider: 'sqlite',
      query: async <T extends Record<string, unknown>>(sql: string, params?: readonly SqlValue[]) => (await run(sql, params)).rows as unknown as T[],
      execute: async (sql, params) => (await run(sql, params)).rowsAffected,
      transaction: async <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => {
        while (this.openTransaction) await this.openTransaction;
        if (!this.client) throw new Error('the SQLite client is not connected yet');
        let ended!: () => void;
        this.openTransaction = new Promise<void>((resolve) => (ended = resolve));
        const tx: SqlRunner = {
          provider: 'sqlite',
          query: async <R extends Record<string, unknown>>(sql: string, params?: readonly SqlValue[]) => (await direct(sql, params)).rows as unknown as R[],
          execute: async (sql, params) => (await direct(sql, params)).rowsAffected,
          transaction: () => Promise.reject(new Error('nested transactions are not supported')),
        };
        try {
          await direct('BEGIN IMMEDIATE');
          let result: T;
          try {
            result = await fn(tx);
          } catch (err) {
            await direct('ROLLBACK').catch(() => undefined);
            throw err;
          }
          await direct('COMMIT');
          return result;
        } finally {
          this.openTransaction = undefined;
          ended();
        }
      },
    };
    return runner;
  }
}
