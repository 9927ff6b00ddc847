import { Worker } from 'node:worker_threads';

/**
 * What the checkpoint thread runs (plain CommonJS, so it needs no build step): its own connection to the database
 * file and a PASSIVE checkpoint every `intervalMs`. A passive checkpoint never waits for the writer and never makes
 * it wait: it copies the WAL's committed frames into the database file and syncs both files, here, off the bot's
 * event loop. It reports each pass that found frames, and its errors (SQLite's own messages: no row data).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const pass = () => {
  try {
    const row = checkpoint.get();
    if (row && row.log > 0) parentPort.postMessage({ type: 'pass', busy: row.busy, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
  }
};
const timer = setInterval(pass, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.close();
});
parentPort.postMessage({ type: 'ready' });
`;

/** When to checkpoint off the event loop (see {@link BackgroundCheckpointer}); every field has a default. */
export interface BackgroundCheckpointOptions {
  /** A COMMIT that blocked at least this long (ms) ran a checkpoint: the thread starts. */
  stallMs?: number;
  /** Milliseconds between the thread's passes. */
  intervalMs?: number;
  /** Every this many ms while the thread runs, the commits since the last check are counted… */
  quietCheckMs?: number;
  /** …and fewer than this many stop it (writes are rare again; the connection checkpoints by itself as before). */
  quietCommits?: number;
  /** The better-sqlite3 module the thread loads (resolved path; tests). */
  driver?: string;
  /**
   * Told once when the thread could not be created, or ended without being asked to, with the error that ended it (or
   * one that gives its exit code). The connection checkpoints by itself from then on; this is for the logs, whose
   * error serializer scrubs the message.
   */
  onFailure?: (error: Error) => void;
}

const DEFAULTS: Required<Omit<BackgroundCheckpointOptions, 'driver' | 'onFailure'>> = {
  stallMs: 8,
  intervalMs: 200,
  quietCheckMs: 10_000,
  quietCommits: 50,
};

/** What the checkpoint thread did so far (for tests and diagnostics). */
export interface CheckpointerStats {
  running: boolean;
  /** Threads started, and passes that found frames to copy. */
  starts: number;
  passes: number;
  /** WAL frames copied into the database file, summed over the passes. */
  framesCheckpointed: number;
  errors: number;
  /** Threads that could not be created, or ended without being asked to. */
  failures: number;
}

/** How long {@link BackgroundCheckpointer.stop} waits for the thread to end by itself before ending it. */
const STOP_GRACE_MS = 2_000;

/**
 * A worker thread that checkpoints a SQLite database in WAL mode, so that the connection the bot writes through does
 * not have to, on its event loop.
 * @remarks The connection reports each commit ({@link noteCommit}); one that blocked `stallMs` or more ran SQLite's
 * automatic checkpoint, and the thread starts. The thread holds a V8 isolate of its own (about 10 MiB resident): once
 * fewer than `quietCommits` commits come in `quietCheckMs`, it ends. `onRunning` tells the connection each time, so
 * that its own checkpoint backs off while the thread runs and comes back after. A thread that cannot be created, or
 * that ends without being asked to, is not started again, and `onFailure` says why. The thread never keeps the process alive (`unref`).
 */
export class BackgroundCheckpointer {
  private worker?: Worker;
  private failed = false;
  private commitsSinceCheck = 0;
  private quietTimer?: NodeJS.Timeout;
  private readonly settings: Required<Omit<BackgroundCheckpointOptions, 'driver' | 'onFailure'>>;
  private readonly stats: Omit<CheckpointerStats, 'running'> = { starts: 0, passes: 0, framesCheckpointed: 0, errors: 0, failures: 0 };

  /**
   * @param file the database file (the connection's).
   * @param onRunning told `true` when the thread starts, `false` when it ends (quiet, or failed).
   */
  constructor(
    private readonly file: string,
    private readonly onRunning: (running: boolean) => void,
    private readonly options: BackgroundCheckpointOptions = {},
  ) {
    this.settings = { ...DEFAULTS, ...options };
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  get counts(): CheckpointerStats {
    return { running: this.running, ...this.stats };
  }

  /** Whether the next commit's duration matters (no thread yet, and none failed): else `noteCommit()` without it. */
  get watching(): boolean {
    return !this.worker && !this.failed;
  }

  /**
   * Counts a commit; with how long it blocked (ms), when {@link watching}: a stall starts the thread.
   * @remarks Called right after a COMMIT succeeded: it never throws, or that commit's callers would be told it failed.
   */
  noteCommit(blockedMs?: number): void {
    this.commitsSinceCheck++;
    if (blockedMs === undefined || blockedMs < this.settings.stallMs || !this.watching) return;
    try {
      this.start();
    } catch (err) {
      this.failed = true;
      this.stats.failures++;
      this.reportFailure(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.commitsSinceCheck = 0;
    this.quietTimer = setInterval(() => {
      if (this.commitsSinceCheck >= this.settings.quietCommits) {
        this.commitsSinceCheck = 0;
        return;
      }
      // Writes are rare again: the thread ends, and the connection checkpoints by itself as before.
      void this.stop();
    }, this.settings.quietCheckMs);
    this.quietTimer.unref();
    this.onRunning(true);
  }

  /** Starts the thread, unless it runs already. */
  start(): void {
    if (this.worker) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: this.options.driver ?? require.resolve('better-sqlite3'), file: this.file, intervalMs: this.settings.intervalMs },
      // A checkpoint thread allocates next to nothing: keep its heap small.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    this.stats.starts++;
    this.worker = worker;
    worker.unref();
    worker.on('message', (message: { type?: string; checkpointed?: number }) => {
      if (message?.type === 'pass') {
        this.stats.passes++;
        this.stats.framesCheckpointed += Math.max(0, message.checkpointed ?? 0);
      } else if (message?.type === 'error') {
        this.stats.errors++;
      }
    });
    // An error ends the thread; 'exit' follows and says it failed.
    let fatal: Error | undefined;
    worker.on('error', (err) => {
      fatal = err;
    });
    worker.once('exit', (code) => {
      if (this.worker !== worker) return; // asked to stop: stop() has already let go of it
      this.worker = undefined;
      this.failed = true;
      this.stats.failures++;
      this.stopQuietChecks();
      this.onRunning(false);
      this.reportFailure(fatal ?? new Error(`the checkpoint thread ended with exit code ${code}`));
    });
  }

  /** Ends the thread (its connection closed first; ended after {@link STOP_GRACE_MS} if it has not by then). */
  async stop(): Promise<void> {
    this.stopQuietChecks();
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.onRunning(false);
    await new Promise<void>((resolve) => {
      const forced = setTimeout(() => void worker.terminate().then(() => resolve(), () => resolve()), STOP_GRACE_MS);
      forced.unref();
      worker.once('exit', () => {
        clearTimeout(forced);
        resolve();
      });
      worker.postMessage('stop');
    });
  }

  /** Tells `onFailure`, which must not break the commit or the exit handler that noticed the failure. */
  private reportFailure(error: Error): void {
    try {
      this.options.onFailure?.(error);
    } catch {
      // a logger that throws changes nothing here
    }
  }

  private stopQuietChecks(): void {
    if (this.quietTimer) clearInterval(this.quietTimer);
    this.quietTimer = undefined;
  }
}
