import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the bot made to the connector. */
export interface ConnectorCall {
  method: string;
  path: string;
  conversationId?: string;
  activityId?: string;
  body: any;
  at: number;
}

/** A scripted answer; `hang: true` never answers (the request stays open until the connector stops). */
type Responder = (call: ConnectorCall) => { status: number; body?: unknown; headers?: Record<string, string>; hang?: boolean } | undefined;

/**
 * A local HTTP server on 127.0.0.1 playing the Bot Connector: it records every activity the bot sends
 * (replies, new conversations, updates) and answers like Teams would.
 */
export class FakeConnector {
  readonly calls: ConnectorCall[] = [];
  private server?: http.Server;
  private responders: Responder[] = [];
  private delays: { predicate: (c: ConnectorCall) => boolean; ms: number }[] = [];
  private waiters: { predicate: (c: ConnectorCall) => boolean; resolve: (c: ConnectorCall) => void }[] = [];
  private seq = 0;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Adds a responder consulted before the default answer (first match wins); return undefined to pass. */
  respond(responder: Responder): void {
    this.responders.push(responder);
  }

  clearResponders(): void {
    this.responders = [];
    this.delays = [];
  }

  /** Answers calls matching the predicate as usual, but only after `ms` (a slow Teams; cleared with the responders). */
  delay(predicate: (c: ConnectorCall) => boolean, ms: number): void {
    this.delays.push({ predicate, ms });
  }

  /** Activities the bot posted into a conversation (replies and new messages), in order. */
  sentTo(conversationId: string): any[] {
    return this.calls.filter((c) => c.method === 'POST' && c.conversationId === conversationId && c.body?.type).map((c) => c.body);
  }

  /**
   * Answers the next `times` calls matching the predicate with the given status (then passes).
   * @example connector.failNext((c) => c.method === 'POST', 429, 1, { 'Retry-After': '7' })
   */
  failNext(predicate: (c: ConnectorCall) => boolean, status: number, times = 1, headers: Record<string, string> = {}): void {
    let left = times;
    this.respond((c) => {
      if (left <= 0 || !predicate(c)) return undefined;
      left--;
      return { status, body: { error: { code: 'Failure', message: `HTTP ${status}` } }, headers };
    });
  }

  /** Waits for a call matching the predicate (including ones already recorded). */
  waitFor(predicate: (c: ConnectorCall) => boolean, timeoutMs = 10_000): Promise<ConnectorCall> {
    const found = this.calls.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a connector call')), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // v3, conversations, {id}, activities, {activityId}
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const call: ConnectorCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      conversationId: parts[0] === 'v3' && parts[1] === 'conversations' ? parts[2] : undefined,
      activityId: parts[3] === 'activities' ? parts[4] : undefined,
      body,
      at: Date.now(),
    };
    for (const responder of this.responders) {
      const answer = responder(call);
      if (answer) {
        this.calls.push(call);
        if (answer.hang) {
          this.notify(call);
          return;
        }
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        this.notify(call);
        return;
      }
    }
    this.calls.push(call);
    let answer: unknown = {};
    if (call.method === 'POST' && parts.length === 2 && parts[1] === 'conversations') {
      // createConversation: a new channel thread or a new 1:1 chat.
      const id = `${body?.channelData?.channel?.id ?? 'a:new'};messageid=${++this.seq}`;
      answer = { id, activityId: `${++this.seq}` };
    } else if (call.method === 'POST' || call.method === 'PUT') {
      answer = { id: `act-${++this.seq}` };
    } else if (call.method === 'GET' && parts[3] === 'members') {
      answer = { id: parts[4], name: 'Test User', givenName: 'Test', surname: 'User', email: 'test.user@example.org', userPrincipalName: 'test.user@example.org', aadObjectId: 'aad-test' };
    }
    const finish = () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
      this.notify(call);
    };
    const delayMs = this.delays.find((d) => d.predicate(call))?.ms ?? 0;
    if (delayMs > 0) setTimeout(finish, delayMs);
    else finish();
  }

  private notify(call: ConnectorCall): void {
    const remaining: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.predicate(call)) w.resolve(call);
      else remaining.push(w);
    }
    this.waiters = remaining;
  }
}
