import BetterSqlite3 from 'better-sqlite3';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { performance } from 'node:perf_hooks';
import { BackgroundCheckpointer, type BackgroundCheckpointOptions, type CheckpointerStats } from './sqliteCheckpointer';
import { sqlDate, type SqlRunner, type SqlValue } from './sql';

type DriverAdapterFactory = PrismaBetterSqlite3;
type DriverAdapter = Awaited<ReturnType<DriverAdapterFactory['connect']>>;
type DriverTransaction = Awaited<ReturnType<DriverAdapter['startTransaction']>>;
type Statement = BetterSqlite3.Statement<unknown[], Record<string, unknown>>;

/** A runner statement waiting for its batch. */
interface Queued {
  /** Runs the statement (synchronously) and returns what its caller gets. */
  run: () => unknown;
  /** Never committed together with others (see RUNS_ALONE). */
  alone: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * SQLite's page cache for the connection, in the pragma's unit (negative: KiB): about 4 MB instead of better-sqlite3's 16.
 * @remarks What the cache holds is also in the OS's file cache, so a page it has dropped costs a read from memory, not
 * from disk; the 12 MiB it no longer fills were resident memory under load and after it (malloc does not give freed
 * pages back). PRAGMA shrink_memory after a load frees the pages but not the resident memory (measured: 1.4 of 12 MiB).
 */
const PAGE_CACHE_SIZE = -4000;

/** Statements kept prepared, per cache (the runner's, Prisma's). Beyond this many, the oldest are dropped. */
const STATEMENT_CACHE_SIZE = 256;

/** At most this many runner statements are committed together; the queue is run at once when it reaches it. */
export const DEFAULT_MAX_BATCH = 64;

/**
 * Statements that start, end or must stay out of a transaction (or change the connection itself): never batched,
 * always run alone in autocommit, in their turn.
 */
const RUNS_ALONE = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|PRAGMA|ATTACH|DETACH)\b/i;

/** How long a statement or a transaction waits for the connection before giving up, by default. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/**
 * WAL pages after which a commit checkpoints on the connection itself (SQLite's automatic checkpoint): the checkpoint
 * runs inside that COMMIT, on the event loop, and costs mostly its two fsyncs; pages rewritten many times (bot state,
 * indexes) are copied once per checkpoint. Bench, 20 s at saturation: 87 checkpoints blocking 1255 ms in all at
 * 1000 pages; 19 blocking 641 ms at 4000 (10000: 8 blocking 683 ms, 85 ms each).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4000;

/**
 * The same while the checkpoint thread runs: a backstop. The thread's passive checkpoints copy the frames as they
 * come, but while commits keep coming it never finds the WAL fully copied, which is when the next writer starts it
 * over; the connection's own checkpoint at this size finds little left to copy, lets the WAL start over, and keeps it
 * bounded (64 MB) should the thread fall behind.
 */
export const WAL_BACKSTOP_PAGES = 16000;

/** The connection's own checkpoint size: the backstop while the checkpoint thread runs, else the usual one. */
function autocheckpointPages(threadRunning: boolean): number {
  return threadRunning ? WAL_BACKSTOP_PAGES : WAL_AUTOCHECKPOINT_PAGES;
}

/** Thrown when the connection stayed held (by a transaction) longer than a waiter would wait. */
export class ConnectionWaitTimeout extends Error {
  override name = 'ConnectionWaitTimeout';
  constructor(timeoutMs: number) {
    super(
      `waited ${timeoutMs} ms for the SQLite connection, held by a transaction all along ` +
        '(a statement outside a transaction issued from inside it waits for itself: use the transaction runner)',
    );
  }
}

/**
 * A FIFO lock on the one SQLite connection: held by a transaction (Prisma's or the runner's) from BEGIN to
 * COMMIT/ROLLBACK; a statement outside a transaction (or a batch of the runner's) runs at once when nobody holds it,
 * otherwise waits its turn.
 * @remarks better-sqlite3 runs every statement synchronously, so a single statement needs no lock of its own: it
 * only must not start while a transaction is open on the connection, or it would become part of that transaction
 * (and be rolled back with it).
 */
export class ConnectionGate {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  /** True while a transaction holds the connection (or has been handed it and is about to start). */
  get busy(): boolean {
    return this.held;
  }

  /**
   * Waits for the connection; the returned function gives it to the next in line (calling it twice is harmless).
   * @param timeoutMs rejects with a {@link ConnectionWaitTimeout} after waiting this long (never, when undefined).
   */
  acquire(timeoutMs?: number): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve(this.releaser());
      };
      this.waiting.push(waiter);
      if (timeoutMs === undefined) return;
      timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        reject(new ConnectionWaitTimeout(timeoutMs));
      }, timeoutMs);
      timer.unref();
    });
  }

  /** Runs a synchronous statement outside any transaction: now if the connection is free, else in turn. */
  async run<T>(statement: () => T | Promise<T>, timeoutMs?: number): Promise<T> {
    if (!this.held) return statement();
    const release = await this.acquire(timeoutMs);
    try {
      return statement();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // handed over: stays held
      else this.held = false;
    };
  }
}

function bindable(value: SqlValue): string | number | null {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (value instanceof Date) return sqlDate('sqlite', value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new TypeError('SQLite takes no array parameter');
}

/**
 * A statement as `@prisma/adapter-better-sqlite3` uses what `prepare(sql)` returns (`bind`, `reader`, `run`,
 * `columns`, `raw().all()`), on a statement prepared once: `bind` returns a view with its own parameters instead
 * of binding the shared statement for good.
 */
class BoundStatement {
  constructor(
    private readonly stmt: BetterSqlite3.Statement,
    private readonly args: readonly unknown[] = [],
  ) {}
  get reader(): boolean {
    return this.stmt.reader;
  }
  get source(): string {
    return this.stmt.source;
  }
  bind(...args: unknown[]): BoundStatement {
    return new BoundStatement(this.stmt, args);
  }
  run(...args: unknown[]): BetterSqlite3.RunResult {
    return this.stmt.run(...this.args, ...args);
  }
  all(...args: unknown[]): unknown[] {
    return this.stmt.all(...this.args, ...args);
  }
  get(...args: unknown[]): unknown {
    return this.stmt.get(...this.args, ...args);
  }
  columns(): BetterSqlite3.ColumnDefinition[] {
    return this.stmt.columns();
  }
  raw(...toggle: [boolean?]): this {
    this.stmt.raw(...(toggle as [boolean]));
    return this;
  }
  safeIntegers(...toggle: [boolean?]): this {
    this.stmt.safeIntegers(...(toggle as [boolean]));
    return this;
  }
}

/** The database as Prisma's adapter sees it: the same connection, with `prepare` answered from a cache. */
function withPreparedStatementCache(db: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt);
    }
    return new BoundStatement(stmt);
  };
  return new Proxy(db, {
    get: (target, prop) => {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The one SQLite connection (better-sqlite3) behind both Prisma and the plain-SQL runner.
 * @remarks `factory()` is the driver adapter factory to give Prisma: it opens the database through
 * `@prisma/adapter-better-sqlite3`, applies our pragmas, and wraps the adapter so that its queries outside a
 * transaction wait at the {@link ConnectionGate} while any transaction is open, and its transactions hold the gate
 * from BEGIN to COMMIT/ROLLBACK. `runner()` runs plain SQL on the same connection under the same gate, with its
 * statements prepared once and kept.
 *
 * Group commit: the runner's statements outside a transaction are queued and run together on the next
 * `setImmediate` (or as soon as the queue holds `maxBatch`), in the order they were issued, inside one
 * `BEGIN IMMEDIATE … COMMIT` (in WAL mode a commit costs about as much CPU as a small write: a 3 KB upsert takes
 * 30 µs alone, 16 µs in batches of 20, in a micro-benchmark); each caller gets its own result or error once COMMIT
 * succeeded. A statement that fails undoes only itself, as in autocommit; when an error ends the whole transaction
 * instead (`db.inTransaction` false after it: `RAISE(ROLLBACK)`, `OR ROLLBACK`, disk full…), or BEGIN or COMMIT
 * fails, nothing of the batch was committed, and its statements are run again one by one in autocommit, so every
 * caller still gets exactly the outcome it would have had alone. A batch of one runs alone, without BEGIN/COMMIT. A batch runs synchronously, when no transaction holds the gate (else it waits
 * its turn like any statement outside a transaction, and times out like one): nothing can start between its BEGIN and
 * its COMMIT. Prisma's queries outside a transaction are not queued: they run at once when the gate is free.
 *
 * Checkpoints: SQLite copies the WAL back into the database file in the COMMIT that crosses
 * {@link WAL_AUTOCHECKPOINT_PAGES}, on the event loop (~20–35 ms at saturation, every ~0.5 s: every turn in flight
 * waits). Each COMMIT is reported to a {@link BackgroundCheckpointer}, which starts a thread checkpointing on a
 * connection of its own when one blocks that long, and stops it once writes are rare; while it runs, this
 * connection's own checkpoint backs off to {@link WAL_BACKSTOP_PAGES}.
 */
export class SqliteConnection {
  readonly gate = new ConnectionGate();
  private db?: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly waitTimeoutMs: number;
  private readonly maxBatch: number;
  /** Runner statements outside a transaction, in the order they were issued, not yet run. */
  private queue: Queued[] = [];
  private flushScheduled?: NodeJS.Immediate;
  /** Batches waiting for a transaction to release the gate (rejected if the connection closes first). */
  private readonly waitingBatches = new Set<Queued[]>();
  private readonly counts = { batches: 0, batchedStatements: 0, alone: 0, fallbacks: 0 };
  /** Checkpoints off the event loop under sustained writes (file databases; undefined when turned off). */
  private readonly checkpointer?: BackgroundCheckpointer;

  /**
   * @param options.waitTimeoutMs how long a statement outside a transaction, or a runner transaction, waits for the
   * connection while a transaction holds it; past that it fails instead of waiting forever (which it would if it
   * were issued from inside that very transaction). Prisma's transactions have their own limits (maxWait, timeout).
   * @param options.maxBatch at most this many runner statements committed together (1: every statement alone, as
   * without group commit).
   * @param options.backgroundCheckpoint when to checkpoint off the event loop (see the class); `false`: never, the
   * connection always checkpoints by itself.
   */
  constructor(
    private readonly url: string,
    options: { waitTimeoutMs?: number; maxBatch?: number; backgroundCheckpoint?: BackgroundCheckpointOptions | false } = {},
  ) {
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    const file = sqliteFilePath(url);
    if (options.backgroundCheckpoint !== false && file) {
      // While the thread runs, this connection's own checkpoint backs off to the backstop.
      this.checkpointer = new BackgroundCheckpointer(
        file,
        (running) => this.setAutocheckpoint(autocheckpointPages(running)),
        options.backgroundCheckpoint,
      );
    }
  }

  /** What the checkpoint thread did so far (undefined when the connection has none: in memory, or turned off). */
  get checkpointStats(): CheckpointerStats | undefined {
    return this.checkpointer?.counts;
  }

  /**
   * What group commit did so far: batches committed together and the statements in them, statements run alone
   * (batches of one, statements that never batch), batches run again one by one after their transaction ended.
   */
  get groupCommitStats(): Readonly<{ batches: number; batchedStatements: number; alone: number; fallbacks: number }> {
    return { ...this.counts };
  }

  /** The driver adapter factory to pass to `new PrismaClient({ adapter })`. */
  factory(): DriverAdapterFactory {
    const inner = new PrismaBetterSqlite3({ url: this.url, timeout: 5000 });
    const connect = async (): Promise<DriverAdapter> => this.wrap(await inner.connect());
    return new Proxy(inner, {
      get: (target, prop) => {
        if (prop === 'connect') return connect;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Plain SQL on the connection, outside any transaction (waits while one is open), committed in groups. */
  runner(): SqlRunner {
    return {
      provider: 'sqlite',
      query: <T extends Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []) => this.enqueue(sql, () => this.query<T>(sql, params)),
      execute: (sql, params = []) => this.enqueue(sql, () => this.execute(sql, params)),
      transaction: (fn) => this.transaction(fn),
      together: (fn) => {
        // Inside one entry of a batch, which runs in the batch's transaction: nothing that would start or end one.
        const allowed = (sql: string) => {
          if (RUNS_ALONE.test(sql)) throw new Error('together: transaction control is not allowed');
          return sql;
        };
        return this.enqueue('', () => {
          // An error that ends the batch's transaction (OR ROLLBACK, disk full…) fails the whole entry even when `fn`
          // handles it: the batch then runs again statement by statement, this entry included, as for any statement.
          let ended: { error: unknown } | undefined;
          const guarded = <R>(run: () => R): R => {
            const inTransaction = this.db?.inTransaction ?? false;
            try {
              return run();
            } catch (error) {
              if (inTransaction && !this.db?.inTransaction) ended ??= { error };
              throw error;
            }
          };
          const result = fn({
            query: <T extends Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []) => guarded(() => this.query<T>(allowed(sql), params)),
            execute: (sql: string, params: readonly SqlValue[] = []) => guarded(() => this.execute(allowed(sql), params)),
          });
          if (ended) throw ended.error;
          return result;
        });
      },
    };
  }

  /** Queues a runner statement for the next batch; settles once its batch has committed (or it ran alone). */
  private enqueue<T>(sql: string, run: () => T): Promise<T> {
    if (!this.db?.open) return Promise.reject(new Error('the SQLite connection is not open'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, alone: RUNS_ALONE.test(sql), resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.flushScheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Takes the queue as one batch and runs it now if no transaction holds the connection, else in its turn. */
  private flush(): void {
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    if (!this.gate.busy) {
      this.runBatch(batch);
      return;
    }
    this.waitingBatches.add(batch);
    this.gate.acquire(this.waitTimeoutMs).then(
      (release) => {
        try {
          // Not there any more: the connection closed meanwhile, and the batch's callers have their error.
          if (this.waitingBatches.delete(batch)) this.runBatch(batch);
        } finally {
          release();
        }
      },
      (err: unknown) => {
        if (this.waitingBatches.delete(batch)) for (const q of batch) q.reject(err);
      },
    );
  }

  /** Runs a batch, synchronously: consecutive batchable statements committed together, the others alone. */
  private runBatch(batch: Queued[]): void {
    let start = 0;
    while (start < batch.length) {
      if (batch[start]!.alone) {
        this.runAlone(batch[start]!);
        start++;
        continue;
      }
      let end = start + 1;
      while (end < batch.length && !batch[end]!.alone) end++;
      this.commitTogether(start === 0 && end === batch.length ? batch : batch.slice(start, end));
      start = end;
    }
  }

  /** One statement in autocommit: its caller gets its outcome now. */
  private runAlone(q: Queued): void {
    this.counts.alone++;
    // Counted as activity, not timed: a lone statement may be a long read, which is no checkpoint.
    this.checkpointer?.noteCommit();
    try {
      q.resolve(q.run());
    } catch (err) {
      q.reject(err);
    }
  }

  /** Runs a COMMIT, timed while the checkpointer watches for stalls (see {@link BackgroundCheckpointer}). */
  private commit<T>(run: () => T): T {
    const checkpointer = this.checkpointer;
    if (!checkpointer?.watching) {
      checkpointer?.noteCommit();
      return run();
    }
    const started = performance.now();
    const result = run();
    checkpointer.noteCommit(performance.now() - started);
    return result;
  }

  /** Sets SQLite's automatic checkpoint on the connection (between statements: better-sqlite3 is synchronous). */
  private setAutocheckpoint(pages: number): void {
    try {
      if (this.db?.open) this.db.pragma(`wal_autocheckpoint = ${pages}`);
    } catch {
      // A connection closing meanwhile: nothing to set.
    }
  }

  /** Statements in one `BEGIN IMMEDIATE … COMMIT`; each caller gets its outcome after COMMIT (see the class). */
  private commitTogether(group: Queued[]): void {
    const db = this.db;
    if (group.length === 1 || !db?.open) {
      for (const q of group) this.runAlone(q);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let committed = false;
    try {
      this.statement('BEGIN IMMEDIATE').run();
      for (const q of group) {
        try {
          outcomes.push({ ok: true, value: q.run() });
        } catch (err) {
          // A failed statement undoes itself only, unless the error ended the transaction: then none of the batch
          // is committed.
          if (!db.inTransaction) throw err;
          outcomes.push({ ok: false, value: err });
        }
      }
      this.commit(() => this.statement('COMMIT').run());
      committed = true;
    } catch {
      // BEGIN, COMMIT or a statement that ended the transaction failed: the callers get their own outcomes below.
      this.rollbackQuietly();
    }
    if (!committed) {
      this.counts.fallbacks++;
      for (const q of group) this.runAlone(q);
      return;
    }
    this.counts.batches++;
    this.counts.batchedStatements += group.length;
    for (let i = 0; i < group.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) group[i]!.resolve(outcome.value);
      else group[i]!.reject(outcome.value);
    }
  }

  /** Before the connection closes: runs what is queued if it can, fails what waits for a transaction. */
  private flushBeforeClose(): void {
    this.flush();
    const closed = new Error('the SQLite connection is closed');
    for (const batch of this.waitingBatches) for (const q of batch) q.reject(closed);
    this.waitingBatches.clear();
  }

  /** A statement outside any transaction: runs when no transaction is open on the connection. */
  private outside<T>(statement: () => T | Promise<T>): Promise<T> {
    return this.gate.run(statement, this.waitTimeoutMs);
  }

  private connection(): BetterSqlite3.Database {
    if (!this.db?.open) throw new Error('the SQLite connection is not open');
    return this.db;
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.connection().prepare<unknown[], Record<string, unknown>>(sql);
      // The Prisma adapter turns safe integers on for the whole connection (BigInt); our callers want numbers.
      stmt.safeIntegers(false);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private query<T extends Record<string, unknown>>(sql: string, params: readonly SqlValue[]): T[] {
    const stmt = this.statement(sql);
    const args = params.map(bindable);
    if (!stmt.reader) {
      stmt.run(...args);
      return [];
    }
    return stmt.all(...args) as T[];
  }

  private execute(sql: string, params: readonly SqlValue[]): number {
    return this.statement(sql).run(...params.map(bindable)).changes;
  }

  private async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const release = await this.gate.acquire(this.waitTimeoutMs);
    let open = false;
    const inside = <R>(statement: () => R): Promise<R> => {
      if (!open) return Promise.reject(new Error('the transaction is over'));
      try {
        return Promise.resolve(statement());
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const tx: SqlRunner = {
      provider: 'sqlite',
      query: <R extends Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []) => inside(() => this.query<R>(sql, params)),
      execute: (sql, params = []) => inside(() => this.execute(sql, params)),
      transaction: () => Promise.reject(new Error('nested transactions are not supported')),
    };
    try {
      this.execute('BEGIN IMMEDIATE', []);
      open = true;
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        open = false;
        this.rollbackQuietly();
        throw err;
      }
      open = false;
      try {
        this.commit(() => this.execute('COMMIT', []));
      } catch (err) {
        this.rollbackQuietly();
        throw err;
      }
      return result;
    } finally {
      open = false;
      release();
    }
  }

  /** Ends whatever transaction is open on the connection (after an error, which is what the caller reports). */
  private rollbackQuietly(): void {
    try {
      if (this.db?.open && this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // The original error says what went wrong.
    }
  }

  /** Keeps the connection, applies our pragmas, and puts Prisma's adapter behind the gate. */
  private wrap(adapter: DriverAdapter): DriverAdapter {
    const db = (adapter as unknown as { client?: unknown }).client;
    if (!(db instanceof BetterSqlite3)) throw new Error('@prisma/adapter-better-sqlite3 no longer exposes its database as `client`');
    // WAL lets readers go on while one writer writes; NORMAL: no fsync per commit in WAL mode (durable at checkpoints);
    // wait instead of failing when another process holds the file.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // Checkpoint at 4000 WAL pages (16 MB) instead of SQLite's 1000 (see WAL_AUTOCHECKPOINT_PAGES), or at the
    // backstop while the checkpoint thread runs.
    db.pragma(`wal_autocheckpoint = ${autocheckpointPages(this.checkpointer?.running ?? false)}`);
    db.pragma(`cache_size = ${PAGE_CACHE_SIZE}`);
    this.statements.clear();
    this.db = db;
    // The adapter prepares every statement on every call (parse + plan, ~5% of the bot's CPU in a bench profile):
    // give it a database whose prepare() keeps them.
    (adapter as unknown as { client: BetterSqlite3.Database }).client = withPreparedStatementCache(db);
    const gate = this.gate;
    const startTransaction = async (...args: Parameters<DriverAdapter['startTransaction']>): Promise<DriverTransaction> => {
      // No wait limit here: Prisma's maxWait abandons the wait, and Prisma discards a transaction that starts late.
      const release = await gate.acquire();
      let tx: DriverTransaction;
      try {
        tx = await adapter.startTransaction(...args);
      } catch (err) {
        release();
        throw err;
      }
      // Prisma sends COMMIT/ROLLBACK itself (executeRaw), then calls commit()/rollback(): release the gate there.
      const end = async (how: 'commit' | 'rollback') => {
        try {
          await tx[how]();
        } finally {
          // Prisma has sent COMMIT or ROLLBACK by now; a COMMIT that failed is followed by rollback() without a
          // ROLLBACK statement: never hand the connection on with a transaction still open.
          this.rollbackQuietly();
          release();
        }
      };
      return new Proxy(tx, {
        get: (target, prop) => {
          if (prop === 'commit') return () => end('commit');
          if (prop === 'rollback') return () => end('rollback');
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    return new Proxy(adapter, {
      get: (target, prop) => {
        if (prop === 'startTransaction') return startTransaction;
        if (prop === 'dispose') {
          return async () => {
            this.flushBeforeClose();
            await this.checkpointer?.stop();
            return adapter.dispose();
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'queryRaw' || prop === 'executeRaw' || prop === 'executeScript') {
          // These run their statement synchronously before their first await: under the gate, nothing slips in.
          return (...args: unknown[]) => this.outside(() => value.apply(target, args) as Promise<unknown>);
        }
        return value.bind(target);
      },
    });
  }
}

/** The file of a SQLite `file:` URL (relative or absolute, as given), or undefined for an in-memory database. */
export function sqliteFilePath(url: string): string | undefined {
  const file = url.startsWith('file:') ? url.slice('file:'.length) : url;
  return file === '' || file.startsWith(':memory:') ? undefined : file;
}
