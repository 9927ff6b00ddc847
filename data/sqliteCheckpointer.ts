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

export interface BackgroundCheckpointerOptions {
  /** Milliseconds between two passes of the thread. */
  intervalMs: number;
  /** The better-sqlite3 module the thread loads (resolved path; injectable for tests). */
  driver?: string;
  /** Told when the thread ends without having been asked to (it could not open the file, or it crashed). */
  onFailed?: () => void;
}

/** What the checkpoint thread did so far (for tests and diagnostics). */
export interface CheckpointerStats {
  running: boolean;
  /** Threads started, and passes that found frames to copy. */
  starts: number;
  passes: number;
  /** WAL frames copied into the database file, summed over the passes. */
  framesCheckpointed: number;
  errors: number;
  /** Threads that ended without being asked to. */
  failures: number;
}

/** How long {@link BackgroundCheckpointer.stop} waits for the thread to end by itself before ending it. */
const STOP_GRACE_MS = 2_000;

/**
 * A worker thread that checkpoints a SQLite database in WAL mode, so that the connection the bot writes through does
 * not have to, on its event loop.
 * @remarks The thread holds a V8 isolate of its own (about 10 MiB resident): {@link SqliteConnection} starts it only
 * when its own checkpoints start stalling commits (sustained writes), and stops it once writes are rare again. The
 * thread never keeps the process alive (`unref`).
 */
export class BackgroundCheckpointer {
  private worker?: Worker;
  private readonly stats: Omit<CheckpointerStats, 'running'> = { starts: 0, passes: 0, framesCheckpointed: 0, errors: 0, failures: 0 };

  constructor(
    private readonly file: string,
    private readonly options: BackgroundCheckpointerOptions,
  ) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  get counts(): CheckpointerStats {
    return { running: this.running, ...this.stats };
  }

  /** Starts the thread, unless it runs already. */
  start(): void {
    if (this.worker) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: this.options.driver ?? require.resolve('better-sqlite3'), file: this.file, intervalMs: this.options.intervalMs },
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
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      if (this.worker !== worker) return; // asked to stop: stop() has already let go of it
      this.worker = undefined;
      this.stats.failures++;
      this.options.onFailed?.();
    });
  }

  /** Asks the thread to close its connection and end; ends it after {@link STOP_GRACE_MS} if it has not. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
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
}
