import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMsOfCommand, schedStatOf } from '../../bench/procStats';

const linux = process.platform === 'linux';

describe("bench: CPU time of the processes of a command (PostgreSQL's, in the turns scenario)", () => {
  (linux ? test : test.skip)('when two processes of a name have burnt CPU, then their times are added up', async () => {
    // Processes of a name no other process has: node started through a link of that name (/proc/<pid>/comm).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cpu-'));
    const link = path.join(dir, 'bench-cpu-test');
    fs.symlinkSync(process.execPath, link);
    // Each burns 200 ms of CPU, says so, and stays alive until stdin closes.
    const burn = `const s = process.cpuUsage(); let x = 0; while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 200000) x += Math.sqrt(x + 1);
      process.stdout.write('done ' + (x > 0)); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    const children = [0, 1].map(() => spawn(link, ['-e', burn], { stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      await Promise.all(children.map((child) => new Promise((resolve) => child.stdout!.once('data', resolve))));
      // /proc counts in 10 ms ticks.
      expect(cpuMsOfCommand('bench-cpu-test')).toBeGreaterThanOrEqual(2 * 190);
    } finally {
      for (const child of children) child.stdin!.end();
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(cpuMsOfCommand('bench-cpu-test')).toBe(0);
  });

  (linux ? test : test.skip)('when no process has that name, then the time is 0', () => {
    expect(cpuMsOfCommand('no-such-command')).toBe(0);
  });

  (linux ? test : test.skip)("when this process's main thread spins, then it is on a core or waiting for one the whole time, and both are counted", () => {
    const before = schedStatOf(process.pid)!;
    const start = performance.now();
    let x = 0;
    while (performance.now() - start < 150) x += Math.sqrt(x + 1);
    const after = schedStatOf(process.pid)!;
    const wallMs = performance.now() - start;
    expect(x).toBeGreaterThan(0);
    const runMs = after.runMs - before.runMs;
    const waitMs = after.waitMs - before.waitMs;
    // A spinning thread never sleeps: its time on a core and its wait for one add up to the elapsed time (the kernel
    // brings the figures up to date at its ticks and switches, and the readings are not quite at the loop's ends).
    expect(runMs).toBeGreaterThan(30);
    expect(waitMs).toBeGreaterThanOrEqual(0);
    expect(runMs + waitMs).toBeGreaterThanOrEqual(wallMs * 0.85);
    expect(runMs + waitMs).toBeLessThanOrEqual(wallMs + 15);
    expect(schedStatOf(2 ** 30)).toBeUndefined();
  });
});
