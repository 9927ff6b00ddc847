import { spawnSync } from 'node:child_process';
import path from 'node:path';

const GUARD = path.resolve(__dirname, '..', 'helpers', 'loopbackOnly.js');

/** Runs a script in a fresh Node process with the loopback-only guard preloaded; returns what it printed. */
function runGuarded(script: string): { stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', GUARD, '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('loopback-only guard for tools started by the tests', () => {
  test('when a process connects beyond the loopback, then the connection is refused before any packet leaves and reported', () => {
    const { stdout, stderr } = runGuarded(`
      const net = require('node:net');
      net.connect(443, 'example.org').on('error', (e) => console.log('refused', e.code)).on('connect', () => console.log('connected'));
      require('node:https').get('https://203.0.113.7/').on('error', (e) => console.log('refused', e.code));
    `);
    expect(stdout.trim().split('\n').sort()).toEqual(['refused ECONNREFUSED', 'refused ECONNREFUSED']);
    expect(stderr).toContain('[loopback-only] blocked example.org:443');
    expect(stderr).toContain('[loopback-only] blocked 203.0.113.7:443');
  });

  test('when a server listens without a host, then it listens on 127.0.0.1 and loopback clients still reach it', () => {
    const { stdout, stderr } = runGuarded(`
      const http = require('node:http');
      const server = http.createServer((req, res) => res.end('ok'));
      server.listen(0, () => {
        const { address, port } = server.address();
        http.get({ host: '127.0.0.1', port }, (res) => { res.resume(); console.log(address, res.statusCode); server.close(); });
      });
    `);
    expect(stdout.trim()).toBe('127.0.0.1 200');
    expect(stderr).not.toContain('blocked');
  });
});
