import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs `script` in a fresh Node process (TypeScript through tsx) and returns what it wrote to stderr. A real process:
 * Jest's sandbox hands modules a copy of `process`, so Node's own warnings cannot be caught from inside a test.
 */
function stderrOf(script: string): string {
  const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return run.stderr;
}

describe('restify loaded by the bot (bot/restify.ts)', () => {
  it('when restify is required directly, then Node prints the DEP0111 deprecation (what the bot avoids)', () => {
    expect(stderrOf("require('restify')")).toContain('DEP0111');
  });

  it('when the bot loads restify, then no DEP0111 warning is printed, and restify works', () => {
    const stderr = stderrOf(
      "const r = require('./bot/restify').default; if (typeof r.createServer !== 'function') throw new Error('no createServer');",
    );
    expect(stderr).not.toContain('DEP0111');
  });

  it('when other warnings are raised, during or after the load, then they still go out (DEP0111 too, once restify is loaded)', () => {
    const stderr = stderrOf(
      [
        "require('./bot/restify');",
        "process.emitWarning('still here', 'DeprecationWarning', 'DEP9999');",
        "process.emitWarning('again later', 'DeprecationWarning', 'DEP0111');",
      ].join(''),
    );
    expect(stderr).toContain('DEP9999');
    expect(stderr).toContain('again later');
  });

  it('when the whole app is loaded (what `npm start` loads), then no DEP0111 is printed and process.emitWarning is Node’s own again', () => {
    const stderr = stderrOf(
      "const before = process.emitWarning; require('./bot/app'); if (process.emitWarning !== before) throw new Error('emitWarning left patched');",
    );
    expect(stderr).not.toContain('DEP0111');
  });
});
