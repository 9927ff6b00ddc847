import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { exposedCollector, IdleHeapSettler, MAX_FULL_COLLECTIONS } from '../../bot/services/idleHeapSettler';

const MiB = 1048576;

describe('IdleHeapSettler', () => {
  /**
   * A settler on a fake heap: each collection frees 20 MiB, and the young generation (32 MiB, grown by a load) comes
   * back to 1 MiB at the full collection numbered `shrinksAt` (1: the first, as V8 does most times; 0: never).
   */
  function settler(options: { shrinksAt?: number; young?: number } = {}) {
    const collections: string[] = [];
    const settled: [number, number][] = [];
    let rss = 200 * MiB;
    let young = options.young ?? 32 * MiB;
    let fulls = 0;
    const s = new IdleHeapSettler({
      collect: (kind) => {
        collections.push(kind);
        rss -= 20 * MiB;
        if (kind === 'full' && ++fulls === (options.shrinksAt ?? 1)) young = 1 * MiB;
      },
      idleMs: 5000,
      rss: () => rss,
      youngSize: () => young,
      onSettled: (before, after) => settled.push([before, after]),
    });
    return { s, collections, settled };
  }

  it('settles once after start-up: a young collection on the first quiet check, a full one on the next, then nothing', () => {
    const { s, collections, settled } = settler();
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full');
    expect(s.tick()).toBeUndefined();
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', 'full']);
    expect(settled).toEqual([[200, 160]]);
  });

  it('settles at once at the end of start-up (young, then full), and still settles on the quiet checks that follow', () => {
    const { s, collections, settled } = settler();
    s.settleNow();
    expect(collections).toEqual(['young', 'full']);
    expect(settled).toEqual([[200, 160]]);
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full');
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', 'full', 'young', 'full']);
  });

  it('never collects while turns keep coming, and settles again after each busy stretch', () => {
    const { s, collections } = settler();
    s.tick();
    s.tick();
    collections.length = 0;
    for (let i = 0; i < 5; i++) {
      s.noteTurn();
      expect(s.tick()).toBeUndefined();
    }
    expect(collections).toEqual([]);
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full');
    expect(collections).toEqual(['young', 'full']);
  });

  it('starts over when a turn comes between the two collections', () => {
    const { s, collections } = settler();
    expect(s.tick()).toBe('young');
    s.noteTurn();
    expect(s.tick()).toBeUndefined();
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full');
    expect(collections).toEqual(['young', 'young', 'full']);
  });

  it('collects in full again on the next quiet checks while V8 keeps the young generation large, and says so once it is given back', () => {
    const { s, collections, settled } = settler({ shrinksAt: 2 });
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full'); // the young generation stayed at 32 MiB
    expect(settled).toEqual([]);
    expect(s.tick()).toBe('full'); // now 1 MiB
    expect(settled).toEqual([[200, 140]]);
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', 'full', 'full']);
  });

  it('gives up after a few full collections when the young generation never comes down, until the next busy stretch', () => {
    const { s, collections, settled } = settler({ shrinksAt: 0 });
    expect(s.tick()).toBe('young');
    for (let i = 0; i < MAX_FULL_COLLECTIONS; i++) expect(s.tick()).toBe('full');
    expect(s.tick()).toBeUndefined();
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', ...Array(MAX_FULL_COLLECTIONS).fill('full')]);
    expect(settled).toHaveLength(1);
    // A new busy stretch: a new settling, with its own tries.
    s.noteTurn();
    s.tick();
    expect(s.tick()).toBe('young');
    for (let i = 0; i < MAX_FULL_COLLECTIONS; i++) expect(s.tick()).toBe('full');
    expect(s.tick()).toBeUndefined();
    expect(settled).toHaveLength(2);
  });

  it('makes one full collection when the young generation never grew (nothing to give back)', () => {
    const { s, collections, settled } = settler({ young: 2 * MiB, shrinksAt: 0 });
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full');
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', 'full']);
    expect(settled).toHaveLength(1);
  });

  it('starts over with a young collection when a turn comes while it tries again', () => {
    const { s, collections, settled } = settler({ shrinksAt: 2 });
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full'); // kept at 32 MiB: the next quiet check would try again…
    s.noteTurn(); // …but a turn came
    expect(s.tick()).toBeUndefined();
    expect(s.tick()).toBe('young');
    expect(s.tick()).toBe('full'); // the second full collection overall gives it back
    expect(s.tick()).toBeUndefined();
    expect(collections).toEqual(['young', 'full', 'young', 'full']);
    expect(settled).toEqual([[160, 120]]);
  });

  it('finds no collector when node runs without --expose-gc (as under jest)', () => {
    expect(exposedCollector()).toBeUndefined();
  });

  it('gives the young generation back in a real node process with --expose-gc', () => {
    // A child process with V8's default 16 MiB semi-spaces fills its young generation, goes quiet, and is settled by
    // the real class through the real gc(): the young generation's reserved size must fall. Like the bot's timers
    // (outbox polling, sweeps), a light background task keeps allocating a little: V8 shrinks the young generation
    // when its measured allocation rate is low but not zero.
    const script = `
      const v8 = require('node:v8');
      const { exposedCollector, IdleHeapSettler } = require(${JSON.stringify(path.resolve(__dirname, '../../bot/services/idleHeapSettler'))});
      const youngSize = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      let keep = [];
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 20000; i++) keep.push({ round, i, text: 'x'.repeat(20) });
        if (keep.length > 200000) keep = keep.slice(100000);
      }
      keep = null;
      const background = setInterval(() => JSON.stringify({ polled: Date.now(), rows: [] }), 50);
      const busy = youngSize();
      // Read once the settler says it has done both collections, however late a loaded machine runs its timers.
      const settler = new IdleHeapSettler({
        collect: exposedCollector(),
        idleMs: 5000,
        onSettled: () => {
          settler.stop();
          clearInterval(background);
          clearTimeout(limit);
          process.stdout.write(JSON.stringify({ busy, settled: youngSize() }));
        },
      });
      const limit = setTimeout(() => {
        settler.stop();
        clearInterval(background);
        process.stdout.write(JSON.stringify({ busy, settled: 'never' }));
      }, 40000);
      settler.start();
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=16', '-r', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(run.stderr).toBe('');
    const { busy, settled } = JSON.parse(run.stdout) as { busy: number; settled: number };
    expect(busy).toBeGreaterThanOrEqual(16 * 1048576);
    expect(settled).toBeLessThanOrEqual(busy / 4);
  }, 60_000);
});
