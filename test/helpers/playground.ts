import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A running Microsoft 365 Agents Playground (a Teams-like client and mock Bot Connector). */
export interface RunningPlayground {
  /** The Playground's web page, e.g. http://127.0.0.1:PORT/. */
  url: string;
  port: number;
  /** Hosts the Playground process tried to reach beyond the loopback (all refused). */
  blockedHosts(): string[];
  /** What the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const CLI = path.join(path.dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
const LOOPBACK_ONLY = path.join(__dirname, 'loopbackOnly.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForHttp(url: string, port: number, child: ChildProcess, deadline: number, output: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Playground exited with code ${child.exitCode}:\n${output()}`);
    const listening = /Listening on (\d+)/.exec(output());
    if (listening && Number(listening[1]) !== port) throw new Error(`port ${port} was taken; the Playground moved to ${listening[1]}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the Playground did not answer on ${url}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts the Agents Playground on the `msteams` channel against a bot endpoint, offline: telemetry off, no browser
 * opened, its files in a temporary folder, every outbound connection beyond the loopback refused (test/helpers/loopbackOnly.js).
 */
export async function startPlayground(botEndpoint: string, options: { startupTimeoutMs?: number } = {}): Promise<RunningPlayground> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agents-playground-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--require', LOOPBACK_ONLY, CLI, '-e', botEndpoint, '-c', 'msteams', '--dt', '-p', String(port), '--su', `http://127.0.0.1:${port}/_connector`],
    {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: workDir,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_LOGFILE: path.join(workDir, 'playground.log'),
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let printed = '';
  const blocked = new Set<string>();
  const record = (chunk: Buffer): void => {
    const text = chunk.toString();
    printed = (printed + text).slice(-20_000);
    for (const m of text.matchAll(/\[loopback-only\] blocked (\S+)/g)) blocked.add(m[1]);
  };
  child.stdout!.on('data', record);
  child.stderr!.on('data', record);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, port, child, Date.now() + (options.startupTimeoutMs ?? 90_000), () => printed);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, blockedHosts: () => [...blocked], output: () => printed, stop };
}
