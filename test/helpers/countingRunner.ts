import type { Db } from '../../data/db';
import { registerSqlRunner, type SqlRunner, type SyncSql } from '../../data/sql';

/**
 * A client whose repositories run their plain SQL on `runner`, recording each call (`query`, `execute`, `together`,
 * `transaction`; the statements inside a transaction are recorded too): what a repository sends, without a statement log.
 */
export function countingClient(prisma: Db, runner: SqlRunner): { client: Db; calls: string[] } {
  const calls: string[] = [];
  const client = prisma.$extends({}) as unknown as Db;
  registerSqlRunner(client, counting(runner, calls));
  return { client, calls };
}

function counting(runner: SqlRunner, calls: string[]): SqlRunner {
  const together = runner.together;
  return {
    provider: runner.provider,
    query: (sql, params) => {
      calls.push('query');
      return runner.query(sql, params);
    },
    execute: (sql, params) => {
      calls.push('execute');
      return runner.execute(sql, params);
    },
    transaction: (fn) => {
      calls.push('transaction');
      return runner.transaction((tx) => fn(counting(tx, calls)));
    },
    ...(together
      ? {
          together: <T>(fn: (sql: SyncSql) => T) => {
            calls.push('together');
            return together<T>(fn);
          },
        }
      : {}),
  };
}

/** The runner without `together` (a runner that cannot group statements). */
export function withoutTogether(runner: SqlRunner): SqlRunner {
  return { provider: runner.provider, query: runner.query, execute: runner.execute, transaction: runner.transaction };
}
