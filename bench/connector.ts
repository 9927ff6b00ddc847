import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** The replies a bot posted for one incoming activity. */
export interface TurnReplies {
  count: number;
  /** performance.now() when the connector received the last reply. */
  lastAt: number;
  /** Parsed body of the last reply (the card the next turn answers). */
  lastBody: any;
  bodies: any[];
}

/** What the connector saw of a filed request's card in a team channel (the help-desk bot's outbox). */
export interface ChannelCard {
  /** Posts (new threads) carrying this request's card, and when the first one arrived (performance.now()). */
  posts: number;
  firstAt: number;
  /** Updates in place (PUT) of the posted card. */
  updates: number;
}

const REFERENCE = /DMA-\d{4}-\d{5}/;

/**
 * A minimal Bot Connector on 127.0.0.1 shared by both bots: it records, per incoming activity, when each reply
 * arrived (`POST /v3/conversations/{id}/activities/{replyToId}`), and answers the Teams member lookup
 * (`GET /v3/conversations/{id}/members/{userId}`) like Teams does.
 * @remarks It also answers what the help-desk bot's proactive sender calls, as Teams does: a new thread in a team
 * channel (`POST /v3/conversations`, answered with the thread's conversation id and the activity id), a message
 * in a conversation (`POST /v3/conversations/{id}/activities`), an update in place
 * (`PUT /v3/conversations/{id}/activities/{activityId}`). Cards are counted per request reference (the card's
 * `summary`), so the bench can tell that each filing's card reached the managers' channel once.
 */
export class BenchConnector {
  private server?: http.Server;
  private readonly turns = new Map<string, TurnReplies>();
  private seq = 0;
  port = 0;
  /** Requests this connector could not make sense of (should stay 0). */
  unexpected = 0;
  memberLookups = 0;
  /** TCP connections the bots opened to this connector (few means their HTTP client keeps connections alive). */
  connections = 0;
  /** Requests' cards posted or updated in team channels, by reference (help-desk bot). */
  readonly channelCards = new Map<string, ChannelCard>();
  /** Card posts in team channels (all references), for per-phase counts. */
  channelPosts = 0;
  /** Channel posts in another channel than `expectedChannelId` (should stay 0). */
  misdirectedPosts = 0;
  /** Proactive messages to a conversation (not replies to an incoming activity), e.g. requesters' notices. */
  conversationPosts = 0;
  /** The managers' channel the cards must go to, when known. */
  expectedChannelId?: string;
  /** Thread (conversation id) → request reference, to attribute updates. */
  private readonly threads = new Map<string, string>();

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    });
    this.server.on('connection', () => {
      this.connections += 1;
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

  /** Takes (and forgets) the replies recorded for an incoming activity. */
  take(conversationId: string, activityId: string): TurnReplies | undefined {
    const key = `${conversationId}|${activityId}`;
    const turn = this.turns.get(key);
    this.turns.delete(key);
    return turn;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const at = performance.now();
    const parts = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent); // v3, conversations, {id}, activities|members, {id}
    let answer: unknown = {};
    if (req.method === 'POST' && parts[0] === 'v3' && parts[1] === 'conversations' && parts[3] === 'activities' && parts[4]) {
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const key = `${parts[2]}|${parts[4]}`;
      const turn = this.turns.get(key);
      if (turn) {
        turn.count += 1;
        turn.lastAt = at;
        turn.lastBody = body;
        turn.bodies.push(body);
      } else {
        this.turns.set(key, { count: 1, lastAt: at, lastBody: body, bodies: [body] });
      }
      answer = { id: `r-${++this.seq}` };
    } else if (req.method === 'POST' && parts[0] === 'v3' && parts[1] === 'conversations' && parts.length === 2) {
      // createConversation: a new thread in a team channel, with its first activity (a request's card).
      const body = parseJson(raw);
      const channelId: string = body?.channelData?.channel?.id ?? 'unknown-channel';
      const activityId = `c-${++this.seq}`;
      const conversationId = `${channelId};messageid=${activityId}`;
      if (this.expectedChannelId && channelId !== this.expectedChannelId) this.misdirectedPosts += 1;
      const reference = referenceOf(body?.activity);
      if (reference) {
        this.channelPosts += 1;
        this.threads.set(conversationId, reference);
        const card = this.channelCards.get(reference);
        if (card) card.posts += 1;
        else this.channelCards.set(reference, { posts: 1, firstAt: at, updates: 0 });
      } else {
        this.unexpected += 1;
      }
      answer = { id: conversationId, activityId };
    } else if (req.method === 'POST' && parts[0] === 'v3' && parts[1] === 'conversations' && parts[3] === 'activities' && parts.length === 4) {
      // sendToConversation: a proactive message in a stored conversation.
      this.conversationPosts += 1;
      answer = { id: `p-${++this.seq}` };
    } else if (req.method === 'PUT' && parts[0] === 'v3' && parts[1] === 'conversations' && parts[3] === 'activities' && parts[4]) {
      // updateActivity: a card updated in place.
      const reference = this.threads.get(parts[2]!) ?? referenceOf(parseJson(raw));
      const card = reference ? this.channelCards.get(reference) : undefined;
      if (card) card.updates += 1;
      else this.unexpected += 1;
      answer = { id: parts[4] };
    } else if (req.method === 'GET' && parts[3] === 'members' && parts[4]) {
      this.memberLookups += 1;
      answer = {
        id: parts[4],
        name: 'Marie-Ève Tremblay',
        givenName: 'Marie-Ève',
        surname: 'Tremblay',
        email: 'marie-eve.tremblay@example.org',
        userPrincipalName: 'marie-eve.tremblay@example.org',
        aadObjectId: `aad-${parts[4]}`,
      };
    } else {
      this.unexpected += 1;
    }
    const payload = JSON.stringify(answer);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }
}

function parseJson(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The request reference a card activity carries in its summary (the managers' card sets it). */
function referenceOf(activity: { summary?: unknown } | undefined): string | undefined {
  const summary = typeof activity?.summary === 'string' ? activity.summary : '';
  return REFERENCE.exec(summary)?.[0];
}
