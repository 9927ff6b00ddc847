import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import restify, { type Request, type Response, type Server, type plugins } from './restify';
import type { TurnContext } from 'botbuilder';
import type { ActivityAnswer, HelpdeskAdapter } from './adapter';
import { isActivityShaped } from './activityShape';
import { bodyReader } from './bodyReader';
import type { Logger } from './logger';

export interface ServerDeps {
  /** Runs a POSTed activity (`processBody`: CloudAdapter.process without its per-request zod schemas). */
  adapter: HelpdeskAdapter;
  logic: (context: TurnContext) => Promise<void>;
  logger: Logger;
  bodyLimitBytes: number;
  /** Answers whether the database is reachable. */
  databaseAnswers: () => Promise<boolean>;
  /** Extra details for /healthz (e.g. outbox failures); must hold no personal data. */
  healthDetails?: () => Promise<Record<string, unknown>>;
  /** Told of each POST to /api/messages, before anything else (must be cheap). */
  onActivity?: () => void;
  /** Local chat page (development only). */
  localChat?: { html: () => string; webChatBundle: string };
}

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops accepting requests and waits for in-flight turns to finish. */
  drain(timeoutMs?: number): Promise<void>;
}

const GENERIC_ERRORS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  500: 'Internal error',
  503: 'Service unavailable',
};

function genericBody(status: number): { error: string } {
  return { error: GENERIC_ERRORS[status] ?? (status >= 500 ? 'Internal error' : 'Bad request') };
}

/** Builds the restify server: /api/messages, /healthz and, in development, the local chat page. */
export function createServer(deps: ServerDeps): Server {
  const { adapter, logic, logger } = deps;
  const server = restify.createServer({ name: 'dma-helpdesk-bot', handleUncaughtExceptions: false });
  let inFlight = 0;
  (server as Server & { inFlight: () => number }).inFlight = () => inFlight;

  // Restify's own errors (bad JSON, body too large, 404…) go out with a generic message only.
  server.on('restifyError', (req: Request, res: Response, err: { statusCode?: number; toJSON?: () => unknown }, callback: () => void) => {
    const status = err.statusCode ?? 500;
    err.toJSON = () => genericBody(status);
    callback();
  });

  // Our reader (restify's, without its deprecated `new Buffer(0)`), then restify's JSON parser alone.
  const parseJson = restify.plugins.jsonBodyParser({ mapParams: false, bodyReader: true } as plugins.JsonBodyParserOptions);
  const readBody = bodyReader({ maxBodySize: deps.bodyLimitBytes });

  server.post('/api/messages', readBody, parseJson, async (req: Request, res: Response) => {
    deps.onActivity?.();
    if (!isActivityShaped(req.body)) {
      res.send(400, genericBody(400));
      return;
    }
    inFlight++;
    let answer: ActivityAnswer;
    try {
      answer = await adapter.processBody(req.body, req.headers.authorization ?? '', logic);
    } catch (err) {
      // Validation failures of the activity shape end here: a client error, never a crash.
      logger.warn({ err }, 'activity rejected');
      answer = { status: 400 };
    } finally {
      inFlight--;
    }
    // An invoke the bot does not implement is answered 501 by botbuilder: it is the caller's error, not ours
    // (5xx stays for our own failures, which monitoring alarms on).
    const status = answer.status === 501 ? 400 : answer.status;
    if (status >= 400) {
      res.send(status, genericBody(status));
    } else if (answer.body) {
      // botbuilder writes an invoke response's body only when it is truthy.
      res.send(status, answer.body);
    } else {
      res.send(status);
    }
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    const ok = await deps.databaseAnswers();
    const details = ok && deps.healthDetails ? await deps.healthDetails().catch(() => ({})) : {};
    res.send(ok ? 200 : 503, ok ? { status: 'ok', ...details } : { status: 'unavailable' });
  });

  if (deps.localChat) {
    const { html, webChatBundle } = deps.localChat;
    server.get('/', async (_req: Request, res: Response) => {
      const page = html();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page), 'Cache-Control': 'no-store' });
      res.end(page);
    });
    server.get('/webchat/webchat.js', async (_req: Request, res: Response) => {
      res.writeHead(200, { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
      fs.createReadStream(webChatBundle).pipe(res);
    });
  }
  return server;
}

/** Starts listening and returns the bound port and a drain function for graceful shutdown. */
export async function listen(server: Server, port: number, host?: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.once('error', reject);
    if (host) server.listen(port, host, () => resolve());
    else server.listen(port, () => resolve());
  });
  const bound = (server.server.address() as AddressInfo).port;
  const inFlight = (server as Server & { inFlight: () => number }).inFlight;
  return {
    server,
    port: bound,
    drain: async (timeoutMs = 10_000) => {
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      server.server.closeIdleConnections?.();
      const deadline = Date.now() + timeoutMs;
      while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      server.server.closeAllConnections?.();
      await closed;
    },
  };
}
