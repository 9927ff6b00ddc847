import { spawnSync } from 'node:child_process';
import { startScriptNodeFlags } from '../../bench/startFlags';

const MiB = 1048576;

/**
 * `npm start` passes V8 flags on node's command line (NODE_OPTIONS refuses the GC ones). A flag this node does not
 * know stops the bot before it starts ("bad option"), in production too: each one is tried here in a real process.
 */
describe('the flags npm start gives node', () => {
  const flags = startScriptNodeFlags().split(/\s+/).filter(Boolean);

  it('are the ones documented: heap sizes, GC threads, and gc() for the idle settler', () => {
    expect(flags).toEqual([
      '--max-semi-space-size=16',
      '--max-old-space-size=128',
      '--no-parallel-scavenge',
      '--concurrent-marking-max-worker-num=1',
      '--expose-gc',
    ]);
  });

  it('are all accepted by this node, which then exposes gc() and caps the heap', () => {
    const script = `
      const v8 = require('node:v8');
      process.stdout.write(JSON.stringify({ gc: typeof globalThis.gc, limit: v8.getHeapStatistics().heap_size_limit }));
    `;
    const run = spawnSync(process.execPath, [...flags, '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { gc: string; limit: number };
    expect(out.gc).toBe('function');
    // The old generation's 128 MiB plus the young generation's share: far below V8's default (~2 GiB here).
    expect(out.limit).toBeGreaterThanOrEqual(128 * MiB);
    expect(out.limit).toBeLessThan(256 * MiB);
  });

  it('would stop node on a misspelt flag (what the test above guards against)', () => {
    const run = spawnSync(process.execPath, ['--no-paralel-scavenge', '-e', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/bad option/);
  });
});
