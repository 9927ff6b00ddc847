import v8 from 'node:v8';

/**
 * Gives memory back once the bot goes quiet: two garbage collections after a stretch without turns (a full one again
 * on the next quiet checks while V8 keeps the young generation large, see below).
 * @remarks V8 sizes its young generation for the load it saw (up to `--max-semi-space-size` twice over) and keeps it.
 * Its own memory reducer should hand the pages back when the process goes idle, but whether it runs depends on timers
 * and allocation-rate estimates: measured here, the same start-up settled at 125 MiB one time and stayed at 168–175 MiB
 * others. V8 shrinks the young generation at the end of a full collection when the allocation rate it measured over
 * the last 5 s is low (`Heap::ReduceNewSpaceSize`); it takes that rate from the allocations between collections, so
 * a collection made just after a busy stretch still counts the load. Hence two steps once the bot is quiet, after
 * start-up and after each busy stretch: a young-generation collection on the first quiet check (a millisecond or two;
 * it closes V8's last sample of the load), then a full one on the next check (the last 5 s now quiet: it frees the old
 * generation's garbage and gives the young generation's pages back). Checks must therefore be more than 5 s apart:
 * V8 sums whole samples until they cover 5 s, so a full collection 4.99 s after the young one still counts the sample
 * before it, the load's (a real-process test failed 2 times in 6 that way with checks every 5 s); `start()` spaces them
 * at least {@link MIN_CHECK_INTERVAL_MS} apart (timers fire late, never early).
 * Even so, V8 sometimes keeps the young generation at its size through that full collection (2 runs in 8 of the real-
 * process test, which then failed CI once): the settler reads the young generation's size around it, and when it has
 * not come down and is still large, the next quiet check collects in full again (at most
 * {@link MAX_FULL_COLLECTIONS} in all). The second one gave the pages back every time it was needed (10 runs).
 * A turn that arrives during the full collection waits for it (tens of milliseconds, once per quiet stretch, never
 * under load).
 *
 * Needs node's `--expose-gc` (the `npm start` script passes it); without it {@link exposedCollector} finds nothing
 * and nothing is scheduled.
 */
export interface IdleHeapSettlerOptions {
  /** A garbage collection: full, or of the young generation only. */
  collect: (kind: 'full' | 'young') => void;
  /** How long without a turn counts as quiet, in milliseconds (at least 5000, see above); the settling ends 2–3 such stretches after the last turn. */
  idleMs: number;
  /** Told after each settling (its two collections), with the resident memory before and after (MiB). */
  onSettled?: (rssBeforeMiB: number, rssAfterMiB: number) => void;
  /** Resident memory in bytes (injectable for tests). */
  rss?: () => number;
  /** The young generation's reserved size in bytes (injectable for tests; V8's `new_space` otherwise). */
  youngSize?: () => number;
}

/** The shortest time between two checks: V8's 5 s allocation-rate window and a margin (see above). */
export const MIN_CHECK_INTERVAL_MS = 5_500;

/** Full collections a settling makes at most, one per quiet check, while the young generation stays large. */
export const MAX_FULL_COLLECTIONS = 3;

/**
 * A young generation at most this large counts as given back: V8 shrinks it to its initial size (1 MiB per semi-space
 * as node starts it), and one that never grew needs no second try.
 */
export const SETTLED_YOUNG_BYTES = 4 * 1048576;

function v8YoungSize(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

export class IdleHeapSettler {
  /** A turn came since the last check. */
  private busy = false;
  /** What the next quiet check does: a young collection after turns (or start-up), then a full one, then nothing. */
  private next: 'young' | 'full' | 'none' = 'young';
  private rssBefore = 0;
  /** Full collections made in this settling. */
  private fullCollections = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: IdleHeapSettlerOptions) {}

  /** Counts a turn: the next quiet stretch ends with a settling. Cheap enough for every request. */
  noteTurn(): void {
    this.busy = true;
  }

  /**
   * Collects at once, young then full, without waiting for quiet checks: for the end of start-up, whose garbage (module
   * loading's temporaries, Prisma's wasm source, the router model's text) is known to be there. The young generation
   * start-up grew stays until the quiet checks that follow (V8 still counts start-up's allocation rate).
   */
  settleNow(): void {
    const rss = this.options.rss ?? (() => process.memoryUsage.rss());
    const before = rss();
    this.options.collect('young');
    this.options.collect('full');
    this.options.onSettled?.(toMiB(before), toMiB(rss()));
  }

  /** Checks every `idleMs` (at least {@link MIN_CHECK_INTERVAL_MS}); the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.max(this.options.idleMs, MIN_CHECK_INTERVAL_MS));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One check. Turns since the previous check: nothing yet (the next quiet check settles). Quiet: the next step of
   * the settling, if any is left.
   * @returns the collection it made, if any.
   */
  tick(): 'full' | 'young' | undefined {
    if (this.busy) {
      this.busy = false;
      this.next = 'young';
      return undefined;
    }
    const rss = this.options.rss ?? (() => process.memoryUsage.rss());
    switch (this.next) {
      case 'young':
        this.rssBefore = rss();
        this.fullCollections = 0;
        this.options.collect('young');
        this.next = 'full';
        return 'young';
      case 'full': {
        const youngSize = this.options.youngSize ?? v8YoungSize;
        const youngBefore = youngSize();
        this.options.collect('full');
        this.fullCollections++;
        const youngAfter = youngSize();
        // Kept at its size, and large: the next quiet check collects in full again (see the class).
        if (youngAfter >= youngBefore && youngAfter > SETTLED_YOUNG_BYTES && this.fullCollections < MAX_FULL_COLLECTIONS) return 'full';
        this.next = 'none';
        this.options.onSettled?.(toMiB(this.rssBefore), toMiB(rss()));
        return 'full';
      }
      default:
        return undefined;
    }
  }
}

function toMiB(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

type ExposedGc = (options?: { type: 'minor' }) => void;

/**
 * Collections through `globalThis.gc` when node runs with `--expose-gc`, else undefined.
 * @remarks `gc()` is a full collection and `gc({ type: 'minor' })` a young-generation one; Node 20's V8 reads
 * `{ type: 'major' }` as a young-generation collection too, so the full one is asked for without options.
 */
export function exposedCollector(): ((kind: 'full' | 'young') => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc as ExposedGc | undefined;
  if (typeof gc !== 'function') return undefined;
  return (kind) => (kind === 'full' ? gc() : gc({ type: 'minor' }));
}
