/**
 * `npx tsx bench/connectorClient.ts [calls]`: CPU and wall time per Bot Connector call, botbuilder's ConnectorClient
 * vs the same client with bot/services/leanConnector.ts, against a loopback connector in another process (so the
 * CPU counted is the client's only). Rounds alternate between the two clients; medians of 5 rounds.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ConfigurationBotFrameworkAuthentication, ConfigurationServiceClientCredentialFactory, type Activity } from 'botbuilder';
import { ClaimsIdentity, type ConnectorClient } from 'botframework-connector';
import { withLeanConversations } from '../bot/services/leanConnector';
import intakeForm from '../cards/intakeForm.json';

const SERVER = `
const http = require('node:http');
let seq = 0;
const server = http.createServer({ keepAliveTimeout: 30000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.method === 'GET'
      ? JSON.stringify({ id: '29:u', name: 'Test User', givenName: 'Test', surname: 'User', email: 'test.user@example.org', userPrincipalName: 'test.user@example.org', aadObjectId: 'aad' })
      : JSON.stringify({ id: 'r-' + (++seq) });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}/amer/`, stop: () => child.kill() };
}

async function client(serviceUrl: string): Promise<ConnectorClient> {
  const auth = new ConfigurationBotFrameworkAuthentication({}, new ConfigurationServiceClientCredentialFactory({}));
  return auth.createConnectorFactory(new ClaimsIdentity([], true)).create(serviceUrl, undefined);
}

const base = {
  type: 'message',
  serviceUrl: 'https://smba.trafficmanager.net/amer/',
  channelId: 'msteams',
  from: { id: '28:bot', name: 'Assistant DMA' },
  recipient: { id: '29:user-1', name: 'Marie-Ève Tremblay', aadObjectId: 'aad-1' },
  conversation: { id: 'a:1xyz', conversationType: 'personal', tenantId: 'tenant-1' },
  locale: 'fr-CA',
  replyToId: 'in-1',
  inputHint: 'acceptingInput',
} as unknown as Activity;
const TEXT = { ...base, text: 'Merci! Votre demande a été transmise.' } as Activity;
const CARD = { ...base, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: intakeForm }] } as Activity;

type Call = (c: ConnectorClient) => Promise<unknown>;
const CALLS: [string, Call][] = [
  ['reply, text', (c) => c.conversations.replyToActivity('a:1xyz', 'in-1', TEXT)],
  [`reply, card (${JSON.stringify(CARD).length} B)`, (c) => c.conversations.replyToActivity('a:1xyz', 'in-1', CARD)],
  ['member lookup', (c) => c.conversations.getConversationMember('a:1xyz', '29:user-1')],
];

/** Per call: wall µs (one at a time), CPU µs (10 at a time, as a busy bot sends them). */
async function measure(c: ConnectorClient, call: Call, n: number): Promise<{ wall: number; cpu: number }> {
  let started = performance.now();
  for (let i = 0; i < n; i++) await call(c);
  const wall = ((performance.now() - started) * 1000) / n;
  const cpu0 = process.cpuUsage();
  started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next++ < n) await call(c);
    }),
  );
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const server = await startServer();
  try {
    const real = await client(server.url);
    const lean = withLeanConversations(await client(server.url));
    const rows: string[][] = [['call', 'client', 'wall µs/call', 'CPU µs/call']];
    for (const [name, call] of CALLS) {
      for (const c of [real, lean]) await measure(c, call, 500); // warm-up
      const runs = { real: [] as { wall: number; cpu: number }[], lean: [] as { wall: number; cpu: number }[] };
      for (let round = 0; round < 5; round++) {
        runs.real.push(await measure(real, call, n));
        runs.lean.push(await measure(lean, call, n));
      }
      for (const [label, r] of Object.entries(runs)) {
        rows.push([name, label === 'real' ? 'ConnectorClient' : 'lean', median(r.map((x) => x.wall)).toFixed(1), median(r.map((x) => x.cpu)).toFixed(1)]);
      }
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  } finally {
    server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
