/**
 * Gathers the same statement from concurrent callers and sends them as one (PostgreSQL: one round trip, one
 * execution and one commit for many turns).
 * @remarks Nothing waits for a batch to fill: an item added while no batch is under way is sent at the end of the
 * current tick (with whatever else that tick added); items added while a batch is under way wait for it to end and go
 * together in the next one (or once it has been under way for `stallMs`, without the keys it holds). So a quiet bot
 * sends each statement as soon as before, and a busy one sends fewer, larger statements. Items whose keys collide
 * (the same row twice, which one `INSERT … ON CONFLICT DO UPDATE` cannot touch twice) go in different batches, in the
 * order they came. A failed batch of several items is run again one item at a time when `retryAlone` says so (for
 * statements that may safely run twice), so each caller gets its own outcome and one bad item fails only itself;
 * otherwise every caller of the batch gets its error.
 */
export interface BatchRunner<I, O> {
  /** Runs a batch (never empty, keys distinct) and returns one outcome per item, in the same order. */
  (items: readonly I[]): Promise<O[]>;
}

export interface StatementBatcherOptions<I> {
  /** The keys an item writes: two items sharing one never go in the same batch. */
  keysOf: (item: I) => readonly string[];
  /** At most this many items per batch (the rest wait for the next one). */
  maxBatch: number;
  /** Whether an item may join the batch as it stands (e.g. to bound how many of one kind a statement carries). */
  fits?: (batch: readonly I[], item: I) => boolean;
  /**
   * Whether a failed batch of several items runs again one item at a time. Only for statements that can run twice
   * (an overwrite): a batch whose commit was lost with its connection may have been written.
   */
  retryAlone: boolean;
  /**
   * Milliseconds a batch may be under way before the next one is sent anyway (250 by default): a batch held up (a row
   * lock, a slow connection) then delays the others by that much at most. Items of its keys still wait for it.
   */
  stallMs?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (err: unknown) => void;
}

/** How long a batch may be under way before the next one goes anyway (see {@link StatementBatcherOptions.stallMs}). */
const DEFAULT_STALL_MS = 250;

export class StatementBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  /** A batch is under way and has not stalled: the next one waits for it. */
  private busy = false;
  private scheduled = false;
  /** Keys of the batches under way (stalled ones included), with how many of them hold each. */
  private readonly keysUnderWay = new Map<string, number>();
  private readonly stallMs: number;

  constructor(
    private readonly run: BatchRunner<I, O>,
    private readonly options: StatementBatcherOptions<I>,
  ) {
    if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  }

  /**
   * Runs an item in a statement of its own, at once: for an item that may not share one (a write whose row is not
   * known, so no key can keep it apart from the others). It neither waits for the batches under way nor holds them up.
   */
  async alone(item: I): Promise<O> {
    const outcomes = await this.run([item]);
    if (outcomes.length !== 1) throw new Error(`a batch of 1 returned ${outcomes.length} outcomes`);
    return outcomes[0]!;
  }

  /** Adds an item to the next batch; resolves with its outcome. */
  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /**
   * Sends the next batch: the oldest waiting items whose keys collide neither with each other nor with a batch under
   * way, up to maxBatch.
   */
  private async flush(): Promise<void> {
    if (this.busy || this.queue.length === 0) return;
    const batch: Waiting<I, O>[] = [];
    const items: I[] = [];
    const left: Waiting<I, O>[] = [];
    const taken = new Set<string>(this.keysUnderWay.keys());
    const keys: string[] = [];
    const { maxBatch, fits } = this.options;
    for (const waiting of this.queue) {
      const itemKeys = batch.length < maxBatch ? this.options.keysOf(waiting.item) : undefined;
      if (!itemKeys || itemKeys.some((key) => taken.has(key)) || (fits && !fits(items, waiting.item))) {
        left.push(waiting);
        // A later item of a key left behind must not overtake it.
        for (const key of itemKeys ?? []) taken.add(key);
        continue;
      }
      for (const key of itemKeys) taken.add(key);
      keys.push(...itemKeys);
      batch.push(waiting);
      items.push(waiting.item);
    }
    this.queue = left;
    // Everything waits for a stalled batch's keys: its end schedules the next flush.
    if (batch.length === 0) return;
    for (const key of keys) this.keysUnderWay.set(key, (this.keysUnderWay.get(key) ?? 0) + 1);
    this.busy = true;
    // A batch that takes too long (a row lock held by a long statement elsewhere) stops holding up the others: after
    // stallMs the next batch goes on another connection, while this one still holds its keys.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.busy = false;
      this.schedule();
    };
    const stall = setTimeout(release, this.stallMs);
    stall.unref?.();
    try {
      await this.send(batch);
    } finally {
      clearTimeout(stall);
      for (const key of keys) {
        const n = this.keysUnderWay.get(key)! - 1;
        if (n === 0) this.keysUnderWay.delete(key);
        else this.keysUnderWay.set(key, n);
      }
      if (released) this.schedule();
      else release();
    }
  }

  private async send(batch: Waiting<I, O>[]): Promise<void> {
    let outcomes: O[];
    try {
      outcomes = await this.run(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${outcomes.length} outcomes`);
    } catch (err) {
      if (batch.length === 1 || !this.options.retryAlone) {
        for (const waiting of batch) waiting.reject(err);
        return;
      }
      // One at a time: the items that were fine succeed, the bad one fails alone.
      for (const waiting of batch) await this.send([waiting]);
      return;
    }
    batch.forEach((waiting, i) => waiting.resolve(outcomes[i]!));
  }
}
