import type { DbTx } from './db';
import type { SqlRunner } from './sql';

/**
 * What a write that joins a caller's transaction receives: a Prisma transaction client, or a plain-SQL transaction
 * ({@link SqlRunner.transaction}, used by the hot paths such as filing a request).
 */
export type TxClient = DbTx | SqlRunner;

/** True for a plain-SQL transaction (a {@link SqlRunner}), false for a Prisma client. */
export function isSqlTx(tx: TxClient): tx is SqlRunner {
  return typeof (tx as SqlRunner).execute === 'function' && typeof (tx as SqlRunner).query === 'function' && 'provider' in tx;
}
