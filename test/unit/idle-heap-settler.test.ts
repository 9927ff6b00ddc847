import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { exposedCollector, IdleHeapSettler } from '../../bot/services/idleHeapSettler';

describe('IdleHeapSettler', () => {
  function settler() {
    const collections: string[] = [];
    const settled: [number, number][] = [];
    let rss = 200 * 1048576;
    const s = new IdleHeapSettler({
      collect: (kind) => {
        collections.push(kind);
        rss -= 20 * 1048576;
      },
      idleMs: 5000,
      rss: () => rss,
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
      }, 25000);
      settler.start();
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=16', '-r', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      timeout: 40_000,
    });
    expect(run.stderr).toBe('');
    const { busy, settled } = JSON.parse(run.stdout) as { busy: number; settled: number };
    expect(busy).toBeGreaterThanOrEqual(16 * 1048576);
    expect(settled).toBeLessThanOrEqual(busy / 4);
  }, 50_000);
});
