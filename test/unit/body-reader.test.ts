import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import restify, { type Request, type Response, type Server, type plugins } from '../../bot/restify';
import { bodyReader } from '../../bot/bodyReader';

const LIMIT = 2000;

/** What the handler saw of the body, as JSON. */
function describeBody(req: Request): unknown {
  const body = (req as Request & { body?: unknown }).body;
  return { type: Buffer.isBuffer(body) ? 'buffer' : typeof body, value: Buffer.isBuffer(body) ? body.toString('base64') : body ?? null, raw: typeof (req as any).rawBody };
}

/** A server reading /x with restify's reader (`stock`) or ours, then restify's JSON parser, as bot/server.ts does. */
async function start(kind: 'stock' | 'ours'): Promise<{ server: Server; port: number }> {
  const server = restify.createServer({ handleUncaughtExceptions: false });
  const chain =
    kind === 'stock'
      ? [restify.plugins.bodyReader({ maxBodySize: LIMIT }), restify.plugins.jsonBodyParser({ mapParams: false })]
      : [bodyReader({ maxBodySize: LIMIT }), restify.plugins.jsonBodyParser({ mapParams: false, bodyReader: true } as plugins.JsonBodyParserOptions)];
  server.post('/x', ...(chain as never[]), async (req: Request, res: Response) => {
    res.send(200, describeBody(req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Sent {
  headers: Record<string, string>;
  chunks: Buffer[];
}

/** Sends a request in the given chunks; returns status, the headers that matter and the body. */
function send(port: number, request: Sent): Promise<{ status: number; headers: Record<string, string | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: '/x', method: 'POST', headers: request.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: { 'content-type': res.headers['content-type'], 'accept-encoding': res.headers['accept-encoding'] as string | undefined },
          body: Buffer.concat(parts).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    for (const chunk of request.chunks) req.write(chunk);
    req.end();
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('base64');

/** Splits a body into chunks at the given cut points (across UTF-8 characters too). */
function split(body: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p > last) out.push(body.subarray(last, p));
    last = p;
  }
  if (last < body.length || out.length === 0) out.push(body.subarray(last));
  return out;
}

describe('request body reader: ours against restify’s', () => {
  let stock: { server: Server; port: number };
  let ours: { server: Server; port: number };
  beforeAll(async () => {
    stock = await start('stock');
    ours = await start('ours');
  });
  afterAll(() => {
    stock.server.close();
    ours.server.close();
  });

  async function expectSame(request: Sent): Promise<{ status: number; body: string }> {
    const expected = await send(stock.port, request);
    const actual = await send(ours.port, request);
    expect({ request: request.headers, ...actual }).toEqual({ request: request.headers, ...expected });
    return actual;
  }

  const activity = { type: 'message', text: 'Bonjour « Marie-Ève » 😀', from: { id: '29:u' }, value: { n: 1 } };
  const body = json(activity);
  const gzipped = zlib.gzipSync(body);
  const length = (b: Buffer) => ({ 'content-length': String(b.length) });

  test.each<[string, Sent]>([
    ['JSON', { headers: { 'content-type': 'application/json', ...length(body) }, chunks: [body] }],
    ['JSON with charset', { headers: { 'content-type': 'application/json; charset=utf-8', ...length(body) }, chunks: [body] }],
    ['JSON in chunks split inside a character, chunked', { headers: { 'content-type': 'application/json' }, chunks: split(body, [3, 30, 31, 32, 50]) }],
    ['empty body', { headers: { 'content-type': 'application/json', 'content-length': '0' }, chunks: [] }],
    ['empty chunked body', { headers: { 'content-type': 'application/json' }, chunks: [] }],
    ['over the limit', { headers: { 'content-type': 'application/json' }, chunks: [json({ text: 'x'.repeat(LIMIT) })] }],
    ['exactly at the limit', { headers: { 'content-type': 'application/json' }, chunks: [json({ text: 'x'.repeat(LIMIT - 11) })] }],
    ['text', { headers: { 'content-type': 'text/plain' }, chunks: [Buffer.from('bonjour é')] }],
    ['no content type', { headers: {}, chunks: [body] }],
    ['octet-stream (not read)', { headers: { 'content-type': 'application/octet-stream' }, chunks: [body] }],
    ['form', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunks: [Buffer.from('a=1&b=%C3%A9')] }],
    ['+json type', { headers: { 'content-type': 'application/vnd.api+json' }, chunks: [body] }],
    ['binary type', { headers: { 'content-type': 'image/png' }, chunks: [Buffer.from([0, 1, 2, 255])] }],
    ['invalid JSON', { headers: { 'content-type': 'application/json' }, chunks: [Buffer.from('{"type": ')] }],
    ['gzip', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, chunks: [gzipped] }],
    ['gzip in chunks', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, chunks: split(gzipped, [1, 10, 20]) }],
    ['unsupported encoding', { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, chunks: [body] }],
    ['matching Content-MD5', { headers: { 'content-type': 'application/json', 'content-md5': md5(body) }, chunks: [body] }],
    ['wrong Content-MD5', { headers: { 'content-type': 'application/json', 'content-md5': md5(Buffer.from('x')) }, chunks: [body] }],
    ['Content-MD5 of a gzip body', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-md5': md5(gzipped) }, chunks: [gzipped] }],
  ])('when the body is %s, then both readers give the handler (or the client) the same', async (_label, request) => {
    await expectSame(request);
  });

  test('when bodies, types and chunking are random, then both readers give the same answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 2500 }).map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), fc.jsonValue().map(json)),
        fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'application/ld+json', 'multipart/form-data'),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        async (payload, type, cuts, withLength) => {
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (withLength) headers['content-length'] = String(payload.length);
          await expectSame({ headers, chunks: split(payload, cuts) });
        },
      ),
      { numRuns: 150 },
    );
  });

  test('when a gzip body does not inflate, then ours answers 400 and the server keeps running (restify’s reader would crash the process)', async () => {
    const res = await send(ours.port, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, chunks: [Buffer.from('not gzip at all')] });
    expect(res.status).toBe(400);
    const after = await send(ours.port, { headers: { 'content-type': 'application/json' }, chunks: [body] });
    expect(after.status).toBe(200);
  });

  test('when a gzip body inflates past the limit, then ours answers 413 (restify’s reader limits the compressed size only)', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * LIMIT, 'a'));
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await send(ours.port, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, chunks: [bomb] });
    expect(res.status).toBe(413);
  });
});
