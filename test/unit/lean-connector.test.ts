import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ConfigurationBotFrameworkAuthentication, ConfigurationServiceClientCredentialFactory, TeamsInfo, TurnContext, type Activity } from 'botbuilder';
import { AppCredentials, ClaimsIdentity, type ConnectorClient } from 'botframework-connector';
import { createSerializer } from '@azure/core-client';
import { isRestError, RestError } from '@azure/core-rest-pipeline';
import { ReusedConnectorClientsAuthentication } from '../../bot/services/reusedConnectorClients';
import { leanConversationsOf, withLeanConversations, type LeanConnectorOptions } from '../../bot/services/leanConnector';
import { compileSerializer, type MapperLike } from '../../bot/services/mapperSerializer';
import { classifyFailure } from '../../bot/services/outboxDispatcher';
import intakeForm from '../../cards/intakeForm.json';

const mappers = require('botframework-connector/lib/connectorApi/models/conversationsMappers') as Record<string, MapperLike>;

/** One request as the server saw it. */
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; body?: string; headers?: Record<string, string>; hang?: boolean };

/** A local Bot Connector that records the raw requests and answers from a script (then 200 with an id or a member). */
class RecordingConnector {
  readonly seen: Seen[] = [];
  private script: ((s: Seen) => Answer | undefined)[] = [];
  private server!: http.Server;
  private seq = 0;
  port = 0;

  get serviceUrl(): string {
    return `http://127.0.0.1:${this.port}/amer/`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.seen.push(seen);
        for (let i = 0; i < this.script.length; i++) {
          const answer = this.script[i]!(seen);
          if (!answer) continue;
          if (answer.hang) return;
          res.writeHead(answer.status, answer.headers ?? { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(answer.body ?? '');
          return;
        }
        const member = /\/members\/([^/]+)$/.exec(req.url!);
        const created = req.method === 'POST' && /\/v3\/conversations$/.test(req.url!);
        const body = member
          ? { id: decodeURIComponent(member[1]!), name: 'Test User', givenName: 'Test', surname: 'User', email: 'test.user@example.org', userPrincipalName: 'test.user@example.org', aadObjectId: 'aad-1', tenantId: 't1', userRole: 'user' }
          : created
            ? { id: `19:channel@thread.tacv2;messageid=${++this.seq}`, activityId: `${this.seq}`, serviceUrl: 'https://smba.trafficmanager.net/amer/' }
            : { id: `act-${++this.seq}` };
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers the next `times` requests with `answer` (then the default answers again). */
  answerNext(answer: Answer, times = 1): void {
    let left = times;
    this.script.push(() => (left-- > 0 ? answer : undefined));
  }

  reset(): void {
    this.seq = 0;
    this.seen.length = 0;
    this.script = [];
  }
}

const APP_ID = '00000000-0000-0000-0000-0000000000aa';
const TOKEN = 'test-access-token';

/** A connector client built the way the bot builds them (botbuilder's own authentication), anonymous or with an app id. */
async function realClient(serviceUrl: string, appId?: string): Promise<ConnectorClient> {
  const config = appId ? { MicrosoftAppId: appId, MicrosoftAppPassword: 'not-a-secret', MicrosoftAppType: 'MultiTenant' } : {};
  const auth = new ConfigurationBotFrameworkAuthentication(config, new ConfigurationServiceClientCredentialFactory(config));
  const claims = new ClaimsIdentity(appId ? [{ type: 'aud', value: appId }, { type: 'appid', value: appId }] : [], true);
  const client = await auth.createConnectorFactory(claims).create(serviceUrl, undefined);
  if (appId) {
    // What MSAL would have cached after logging in: both clients read the token from these credentials.
    const key = (client.credentials as unknown as { tokenCacheKey: string }).tokenCacheKey;
    (AppCredentials as unknown as { cache: Map<string, unknown> }).cache.set(key, { accessToken: TOKEN, expiresOn: new Date(Date.now() + 3_600_000) });
  }
  return client;
}

async function pair(serviceUrl: string, appId?: string, options: LeanConnectorOptions = {}) {
  const real = await realClient(serviceUrl, appId);
  const lean = withLeanConversations(await realClient(serviceUrl, appId), options);
  expect(leanConversationsOf(lean)?.enabled).toBe(true);
  expect(leanConversationsOf(real)).toBeUndefined();
  return { real, lean };
}

/** What the pipeline of ProactiveSender does to a client: no retries, a timeout per request. */
function tuneLikeProactiveSender(client: ConnectorClient, timeoutMs: number): void {
  const pipeline = (client as unknown as { client: { pipeline: any } }).client.pipeline;
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  pipeline.removePolicy({ name: 'outboxRequestTimeout' });
  pipeline.addPolicy({
    name: 'outboxRequestTimeout',
    sendRequest: (req: { timeout: number }, next: (r: unknown) => Promise<unknown>) => {
      req.timeout = timeoutMs;
      return next(req);
    },
  });
}

const timestamp = new Date('2026-03-04T05:06:07.089Z');

/** Activities as the bot sends them: text, cards, mentions, channel data, dates. */
function activities(): Partial<Activity>[] {
  const base = {
    type: 'message',
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    channelId: 'msteams',
    from: { id: '28:bot', name: 'Assistant DMA' },
    recipient: { id: '29:user-1', name: 'Marie-Ève Tremblay', aadObjectId: 'aad-1' },
    conversation: { id: 'a:1xyz;messageid=17', conversationType: 'personal', tenantId: 'tenant-1', isGroup: false },
    locale: 'fr-CA',
  } as Partial<Activity>;
  return [
    { ...base, text: 'Bonjour « Marie-Ève » — ça va?\n<b>ok</b> \u2028 \ud83d\ude00', replyToId: 'in-1', inputHint: 'acceptingInput' },
    {
      ...base,
      timestamp,
      localTimestamp: '2026-03-04T00:06:07-05:00' as unknown as Date,
      localTimezone: 'America/Toronto',
      attachmentLayout: 'list',
      attachments: [
        { contentType: 'application/vnd.microsoft.card.adaptive', content: intakeForm },
        { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'x', at: timestamp }], extra: undefined } },
        null as never,
      ],
      entities: [
        { type: 'mention', text: '<at>Marie-Ève</at>', mentioned: { id: '29:user-1', name: 'Marie-Ève', role: 'user' } },
        { type: 'clientInfo', locale: 'fr-CA', country: 'CA', platform: 'Web' } as never,
      ],
      channelData: { notification: { alert: true }, tenant: { id: 'tenant-1' }, feedbackLoopEnabled: false, at: timestamp, nested: [1, 'two', null] },
      suggestedActions: { to: ['29:user-1'], actions: [{ type: 'imBack', title: 'Oui', value: 'oui', channelData: { k: 1 } }] },
      summary: 'Résumé',
      importance: 'high',
      deliveryMode: 'normal',
      expiration: '2026-03-05T00:00:00Z' as unknown as Date,
      rawTimestamp: 'not sent',
      unknownProperty: 'dropped',
      textHighlights: [{ text: 'a', occurrence: 1 }],
      listenFor: ['oui', 'non'],
      semanticAction: { id: 's1', state: 'start', entities: { e: { type: 'x', text: 'y' } } },
      relatesTo: { activityId: 'r1', user: { id: 'u' }, bot: { id: 'b' }, conversation: { id: 'c' }, channelId: 'msteams', serviceUrl: 'https://x/' } as never,
      value: { verb: 'intake.submit', data: { firstName: 'Zoë' } },
      membersAdded: [{ id: 'm1', name: 'M' }],
      speak: undefined,
      text: null as never,
    } as Partial<Activity>,
    { type: 'typing', conversation: { id: 'a:1' } as never },
    { type: 'invokeResponse', value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'ok' } } },
  ];
}

/** The parameters of a new channel thread as ProactiveSender posts the managers' card (and odd ones). */
function conversationParameters(): Record<string, unknown>[] {
  const card = activities()[1]!;
  return [
    {
      isGroup: true,
      bot: { id: '28:bot', name: 'Assistant DMA' },
      tenantId: 'tenant-1',
      channelData: { channel: { id: '19:abc@thread.tacv2' }, tenant: { id: 'tenant-1' } },
      activity: { type: 'message', attachments: card.attachments, summary: 'DMA-2026-00042' },
      members: [],
    },
    { isGroup: false, bot: { id: '28:bot' }, members: [{ id: '29:user-1', name: 'Marie-Ève', aadObjectId: 'aad-1', extra: 'dropped' }], activity: card, topicName: 'Sujet « x »', unknown: 1 },
    { bot: { id: '28:bot' }, channelData: undefined, activity: undefined, members: undefined, tenantId: null },
  ];
}

describe('the Activity serializer specialised from the mapper', () => {
  const real = createSerializer(mappers as never);
  const mapper = { ...mappers.Activity!, required: true };
  const compiled = compileSerializer(mapper, mappers);
  const viaReal = (a: unknown) => JSON.stringify(real.serialize(mapper as never, a, 'activity'));

  test('when the bot sends its activities, then the JSON is byte for byte what the real serializer makes', () => {
    for (const activity of activities()) expect(JSON.stringify(compiled(activity))).toBe(viaReal(activity));
  });

  test('when the bot creates conversations, then the ConversationParameters JSON is byte for byte what the real serializer makes (or both refuse it)', () => {
    const parametersMapper = { ...mappers.ConversationParameters!, required: true };
    const compiledParameters = compileSerializer(parametersMapper, mappers);
    const outcome = (f: () => string) => {
      try {
        return f();
      } catch (e) {
        return e instanceof Error ? 'refused' : String(e);
      }
    };
    const odd = [null, undefined, { isGroup: 'yes' }, { members: {} }, { activity: { text: 5 } }, { bot: 'bot' }];
    for (const parameters of [...conversationParameters(), ...odd]) {
      const viaRealParameters = () => JSON.stringify(real.serialize(parametersMapper as never, parameters, 'parameters'));
      expect(outcome(() => JSON.stringify(compiledParameters(parameters)))).toBe(outcome(viaRealParameters));
    }
    expect(outcome(() => JSON.stringify(compiledParameters(conversationParameters()[0])))).toContain('"channelData":{"channel":{"id":"19:abc@thread.tacv2"}');
  });

  test('when activities are random (wrong types now and then), then the output is the same or both refuse the value', () => {
    // Mostly valid values, so that most activities pass and a single wrong field decides.
    const mostly = <T, U>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: fc.constant(null), weight: 2 }, { arbitrary: wrong, weight: 1 });
    const text = mostly(fc.string(), fc.oneof(fc.integer(), fc.boolean(), fc.object()));
    const flag = mostly(fc.boolean(), fc.oneof(fc.string(), fc.integer()));
    const count = mostly(fc.integer(), fc.oneof(fc.string(), fc.boolean()));
    const date = mostly(fc.oneof(fc.date({ noInvalidDate: true }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('2026-03-04T00:06:07-05:00')), fc.oneof(fc.string(), fc.integer()));
    const anything = fc.jsonValue();
    const account = mostly(fc.record({ id: text, name: text, role: text, aadObjectId: text, properties: anything, extra: text }, { requiredKeys: [] }), fc.string());
    const list = <T>(item: fc.Arbitrary<T>) => mostly(fc.array(item, { maxLength: 3 }), fc.oneof(fc.string(), fc.object()));
    const activity = fc.record(
      {
        type: text,
        id: text,
        text,
        timestamp: date,
        localTimestamp: date,
        expiration: date,
        from: account,
        recipient: account,
        conversation: mostly(fc.record({ id: text, isGroup: flag, tenantId: text, conversationType: text }, { requiredKeys: [] }), fc.string()),
        membersAdded: list(account),
        attachments: list(mostly(fc.record({ contentType: text, content: anything, name: text, contentUrl: text }, { requiredKeys: [] }), fc.integer())),
        entities: list(fc.record({ type: text, text, mentioned: account, locale: text }, { requiredKeys: [] })),
        suggestedActions: mostly(fc.record({ to: list(text), actions: list(fc.record({ type: text, title: text, value: anything }, { requiredKeys: [] })) }, { requiredKeys: [] }), fc.string()),
        channelData: anything,
        value: anything,
        historyDisclosed: flag,
        listenFor: list(text),
        textHighlights: list(fc.record({ text, occurrence: count }, { requiredKeys: [] })),
        semanticAction: mostly(fc.record({ id: text, entities: mostly(fc.dictionary(fc.string(), fc.record({ type: text })), fc.string()) }, { requiredKeys: [] }), fc.string()),
        other: anything,
      },
      { requiredKeys: [] },
    );
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: activity, weight: 50 }, { arbitrary: fc.constantFrom(null, undefined), weight: 1 }), (a) => {
        let expected: string | Error;
        try {
          expected = viaReal(a);
        } catch (e) {
          expected = e as Error;
        }
        let actual: string | Error;
        try {
          actual = JSON.stringify(compiled(a));
        } catch (e) {
          actual = e as Error;
        }
        if (expected instanceof Error) expect(actual).toBeInstanceOf(Error);
        else {
          valid++;
          expect(actual).toBe(expected);
        }
      }),
      { numRuns: 3000 },
    );
    expect(valid).toBeGreaterThan(500);
  });
});

describe('the lean connector against the real connector client, on a local Bot Connector', () => {
  const server = new RecordingConnector();
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  /** Runs the same call on both clients; returns what each returned or threw, and the requests each made. */
  async function both<T>(clients: { real: ConnectorClient; lean: ConnectorClient }, call: (c: ConnectorClient) => Promise<T>, script?: () => void) {
    const outcome = async (client: ConnectorClient) => {
      server.reset();
      script?.();
      let value: T | undefined;
      let error: any;
      try {
        value = await call(client);
      } catch (e) {
        error = e;
      }
      return { value, error, seen: [...server.seen] };
    };
    const real = await outcome(clients.real);
    const lean = await outcome(clients.lean);
    return { real, lean };
  }

  /** The parts of a request that reach the Bot Connector and matter to it. */
  function wire(seen: Seen) {
    const { host: _host, 'x-ms-client-request-id': requestId, 'accept-encoding': _encoding, connection: _connection, ...headers } = seen.headers;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    return { method: seen.method, url: seen.url, headers, body: seen.body };
  }

  /** What callers read from a connector error (outbox, proactive sender, logger, TeamsInfo callers). */
  function errorView(error: any) {
    return {
      isRestError: isRestError(error),
      instanceOfRestError: error instanceof RestError,
      name: error?.name,
      message: error?.message,
      code: error?.code,
      statusCode: error?.statusCode,
      details: error?.details,
      status: error?.response?.status,
      bodyAsText: error?.response?.bodyAsText,
      parsedBody: error?.response?.parsedBody,
      retryAfter: error?.response?.headers?.get('retry-after'),
      requestMethod: error?.request?.method,
      requestUrl: error?.request?.url,
      enumerable: Object.keys(error ?? {}).sort(),
      classified: (({ error: _e, ...rest }) => rest)(classifyFailure(error, new Date('2026-01-01T00:00:00Z'))),
    };
  }

  const calls: [string, (c: ConnectorClient) => Promise<unknown>][] = [
    ['replyToActivity', (c) => c.conversations.replyToActivity('a:1xyz;messageid=17', '1:in/é?#', activities()[1] as Activity)],
    ['sendToConversation', (c) => c.conversations.sendToConversation('19:abc@thread.tacv2;messageid=1', activities()[0] as Activity)],
    ['updateActivity', (c) => c.conversations.updateActivity('a:1xyz', 'act 7', { ...activities()[1], id: 'act 7' } as Activity)],
    ['getConversationMember', (c) => c.conversations.getConversationMember('a:1xyz', '29:1abc/def')],
    ['createConversation', (c) => c.conversations.createConversation(conversationParameters()[0] as never)],
    ['createConversation (1:1 chat)', (c) => c.conversations.createConversation(conversationParameters()[1] as never)],
  ];

  describe.each([
    ['anonymous', undefined],
    ['with an app id', APP_ID],
  ])('%s', (_label, appId) => {
    test.each(calls)('when %s succeeds, then the same request goes out and the same value comes back', async (_name, call) => {
      const clients = await pair(server.serviceUrl, appId);
      const { real, lean } = await both(clients, call);
      expect(real.error).toBeUndefined();
      expect(lean.error).toBeUndefined();
      expect(lean.seen.map(wire)).toEqual(real.seen.map(wire));
      expect(lean.seen).toHaveLength(1);
      expect(lean.seen[0]!.headers.authorization).toBe(appId ? `Bearer ${TOKEN}` : undefined);
      expect(lean.value).toEqual(real.value);
      expect(Object.keys(lean.value as object)).toEqual(Object.keys(real.value as object));
      expect((lean.value as { _response?: { status: number } })._response?.status).toBe(200);
    });
  });

  test('when the service URL has no trailing slash, or no path, then both clients call the same URL', async () => {
    for (const serviceUrl of [server.serviceUrl.replace(/\/$/, ''), `http://127.0.0.1:${server.port}`, `http://127.0.0.1:${server.port}/a/b/`]) {
      const clients = await pair(serviceUrl);
      const { real, lean } = await both(clients, calls[0]![1]);
      expect(lean.seen.map((s) => s.url)).toEqual(real.seen.map((s) => s.url));
      expect(lean.value).toEqual(real.value);
    }
  });

  test('when the Bot Connector answers 201 with extra fields, an empty body or plain text, then the values are the same', async () => {
    const clients = await pair(server.serviceUrl);
    const send = (c: ConnectorClient) => c.conversations.sendToConversation('a:1', activities()[0] as Activity);
    for (const answer of <Answer[]>[
      { status: 201, body: JSON.stringify({ id: 'x', extra: { a: 1 } }) },
      { status: 202, body: '' },
      { status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain' } },
      { status: 200, body: '{"id":"no content type"}', headers: {} },
    ]) {
      const { real, lean } = await both(clients, send, () => server.answerNext(answer));
      expect(lean.error).toBeUndefined();
      expect(lean.value).toEqual(real.value);
    }
  });

  test.each([
    [403, JSON.stringify({ error: { code: 'BotDisabledByAdmin', message: 'The bot is blocked' } }), { 'Content-Type': 'application/json' }],
    [404, JSON.stringify({ error: { code: 'ConversationNotFound', message: 'Conversation not found.' } }), { 'Content-Type': 'application/json' }],
    [400, JSON.stringify({ message: 'bare message', code: 'Bare' }), { 'Content-Type': 'application/json' }],
    [401, '<html>Unauthorized</html>', { 'Content-Type': 'text/html' }],
    [413, '', {}],
    [429, JSON.stringify({ error: { code: 'Throttled', message: 'Too many requests' } }), { 'Content-Type': 'application/json' }],
    [500, 'not json', {}],
    [502, JSON.stringify({ error: { code: 'BadGateway', message: 'upstream' } }), { 'Content-Type': 'application/json', 'Retry-After': '9' }],
    [503, JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'later' } }), { 'Content-Type': 'application/json', 'Retry-After': '12' }],
  ])('when the Bot Connector answers %i (no retries, as the outbox sends), then the error reads the same', async (status, body, headers) => {
    const clients = await pair(server.serviceUrl);
    tuneLikeProactiveSender(clients.real, 5000);
    tuneLikeProactiveSender(clients.lean, 5000);
    for (const [, call] of calls) {
      const { real, lean } = await both(clients, call, () => server.answerNext({ status, body, headers }));
      expect(real.error).toBeDefined();
      expect(errorView(lean.error)).toEqual(errorView(real.error));
      expect(lean.seen.map(wire)).toEqual(real.seen.map(wire));
    }
  });

  test('when a 429 carries Retry-After (and a 503 too), then both clients wait for it and retry, four attempts at most', async () => {
    const clients = await pair(server.serviceUrl);
    const reply = calls[0]![1];
    const once = await both(clients, reply, () => server.answerNext({ status: 429, body: '{}', headers: { 'Retry-After': '0', 'Content-Type': 'application/json' } }));
    expect(once.real.seen).toHaveLength(2);
    expect(once.lean.seen).toHaveLength(2);
    expect(once.lean.value).toEqual(once.real.value);
    const always = await both(clients, reply, () => server.answerNext({ status: 503, body: '{"error":{"code":"Busy","message":"busy"}}', headers: { 'retry-after-ms': '1', 'Content-Type': 'application/json' } }, 99));
    expect(always.real.seen).toHaveLength(4);
    expect(always.lean.seen).toHaveLength(4);
    expect(errorView(always.lean.error)).toEqual(errorView(always.real.error));
  });

  test('when a 429 has no Retry-After, then neither client retries', async () => {
    const clients = await pair(server.serviceUrl);
    const { real, lean } = await both(clients, calls[0]![1], () => server.answerNext({ status: 429, body: '' }, 99));
    expect(real.seen).toHaveLength(1);
    expect(lean.seen).toHaveLength(1);
    expect(errorView(lean.error)).toEqual(errorView(real.error));
  });

  test('when the Bot Connector fails with a 500 once, then both clients back off and retry (lean: 0.5–1 s, as the real policy)', async () => {
    const delays: number[] = [];
    const clients = await pair(server.serviceUrl, undefined, { sleep: async (ms) => void delays.push(ms) });
    const { real, lean } = await both(clients, calls[1]![1], () => server.answerNext({ status: 500, body: '' }));
    expect(real.seen).toHaveLength(2);
    expect(lean.seen).toHaveLength(2);
    expect(lean.value).toEqual(real.value);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
  });

  test('when the Bot Connector keeps failing with 500, then the lean client retries three times with doubling delays and throws the last error', async () => {
    const delays: number[] = [];
    const { lean } = await pair(server.serviceUrl, undefined, { sleep: async (ms) => void delays.push(ms), random: () => 0 });
    server.answerNext({ status: 500, body: '{"error":{"code":"ServiceError","message":"down"}}', headers: { 'Content-Type': 'application/json' } }, 99);
    const error: any = await lean.conversations.sendToConversation('a:1', activities()[0] as Activity).catch((e) => e);
    expect(server.seen).toHaveLength(4);
    expect(delays).toEqual([500, 1000, 2000]);
    expect(error.statusCode).toBe(500);
    expect(error.code).toBe('ServiceError');
  });

  test('when nothing listens at the service URL, then both throw the same network error (and the lean one retries it like the real policy)', async () => {
    const closed = new RecordingConnector();
    await closed.start();
    const url = closed.serviceUrl;
    await closed.stop();
    const clients = await pair(url);
    // (The real client leaves its timeout timer running after a network error: kept short so that jest exits.)
    tuneLikeProactiveSender(clients.real, 300);
    tuneLikeProactiveSender(clients.lean, 300);
    const { real, lean } = await both(clients, calls[0]![1]);
    expect(real.error.code).toBe('ECONNREFUSED');
    expect({ ...errorView(lean.error), message: undefined }).toEqual({ ...errorView(real.error), message: undefined });
    expect(lean.error.message).toContain('ECONNREFUSED');

    const delays: number[] = [];
    const retrying = await pair(url, undefined, { sleep: async (ms) => void delays.push(ms) });
    const error: any = await retrying.lean.conversations.replyToActivity('a:1', 'x', activities()[0] as Activity).catch((e) => e);
    expect(error.code).toBe('ECONNREFUSED');
    expect(delays).toHaveLength(3);
  });

  test('when the pipeline was given a timeout and the Bot Connector never answers, then the lean call is abandoned like the real one', async () => {
    const clients = await pair(server.serviceUrl);
    tuneLikeProactiveSender(clients.real, 300);
    tuneLikeProactiveSender(clients.lean, 300);
    const { real, lean } = await both(clients, calls[1]![1], () => server.answerNext({ status: 200, hang: true }));
    expect(real.error.name).toBe('AbortError');
    expect(lean.error.name).toBe('AbortError');
    expect(lean.error.message).toBe(real.error.message);
    expect(classifyFailure(lean.error, new Date())).toMatchObject({ label: 'AbortError', retryable: true });
  });

  test('when no timeout is set and the Bot Connector never answers, then the lean call gives up after its default timeout', async () => {
    const { lean } = await pair(server.serviceUrl, undefined, { defaultTimeoutMs: 200 });
    server.answerNext({ status: 200, hang: true });
    const started = Date.now();
    const error: any = await lean.conversations.sendToConversation('a:1', activities()[0] as Activity).catch((e) => e);
    expect(error.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('when an activity is not valid for the mapper, then the real client handles the call and throws its own error', async () => {
    const clients = await pair(server.serviceUrl);
    const badParameters = await both(clients, (c) => c.conversations.createConversation({ isGroup: 'yes', activity: { type: 'message' } } as never));
    expect(badParameters.real.error).toBeDefined();
    expect(badParameters.lean.error.message).toBe(badParameters.real.error.message);
    expect(badParameters.lean.seen).toHaveLength(0);
    const { real, lean } = await both(clients, (c) => c.conversations.sendToConversation('a:1', { type: 'message', text: 5 } as unknown as Activity));
    expect(real.error).toBeDefined();
    expect(lean.error.message).toBe(real.error.message);
    expect(lean.seen).toHaveLength(0);
    const missing = await both(clients, (c) => c.conversations.replyToActivity(undefined as unknown as string, 'x', activities()[0] as Activity));
    expect(missing.lean.error.message).toBe(missing.real.error.message);
  });

  test('when a call passes options, or calls another operation, then it goes through the real pipeline unchanged', async () => {
    const { lean } = await pair(server.serviceUrl);
    const conversations = leanConversationsOf(lean)!.real;
    const spy = jest.spyOn(conversations, 'replyToActivity');
    await lean.conversations.replyToActivity('a:1', 'x', activities()[0] as Activity, { customHeaders: { 'x-extra': '1' } } as never);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(server.seen[0]!.headers['x-extra']).toBe('1');
    server.reset();
    server.answerNext({ status: 200, body: JSON.stringify([{ id: 'm1', name: 'M' }]) });
    expect(await lean.conversations.getConversationMembers('a:1')).toEqual([{ id: 'm1', name: 'M' }]);
    await lean.conversations.deleteActivity('a:1', 'act-1');
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /amer/v3/conversations/a%3A1/members', 'DELETE /amer/v3/conversations/a%3A1/activities/act-1']);
    spy.mockRestore();
  });

  test('when a channel thread is created, then the lean client sends it itself (the real operation is not called)', async () => {
    const { lean } = await pair(server.serviceUrl, APP_ID);
    const conversations = leanConversationsOf(lean)!.real;
    const spy = jest.spyOn(conversations, 'createConversation');
    const created = (await lean.conversations.createConversation(conversationParameters()[0] as never)) as { id: string; activityId: string };
    expect(spy).not.toHaveBeenCalled();
    expect(created).toMatchObject({ id: expect.stringMatching(/;messageid=/), activityId: expect.any(String) });
    expect(server.seen.map((s) => `${s.method} ${s.url} ${s.headers.authorization}`)).toEqual([`POST /amer/v3/conversations Bearer ${TOKEN}`]);
    spy.mockRestore();
  });

  test('when TeamsInfo looks up a member through either client, then it gets the same Teams profile', async () => {
    const clients = await pair(server.serviceUrl);
    const lookup = (client: ConnectorClient) => {
      const context = new TurnContext({ ConnectorClientKey: Symbol.for('ConnectorClient') } as never, { type: 'message', channelId: 'msteams', conversation: { id: 'a:1' }, from: { id: '29:u' } } as Activity);
      context.turnState.set((context.adapter as unknown as { ConnectorClientKey: symbol }).ConnectorClientKey, client);
      return TeamsInfo.getMember(context, '29:u');
    };
    const { real, lean } = await both(clients, lookup);
    expect(lean.value).toEqual(real.value);
    expect(lean.value).toMatchObject({ email: 'test.user@example.org', givenName: 'Test' });
  });

  test('when the bot gets its connector clients, then they take the lean path, once per client', async () => {
    const auth = new ReusedConnectorClientsAuthentication({}, new ConfigurationServiceClientCredentialFactory({}));
    const factory = auth.createConnectorFactory(new ClaimsIdentity([], true));
    const client = await factory.create(server.serviceUrl, undefined);
    expect(leanConversationsOf(client)?.enabled).toBe(true);
    expect(withLeanConversations(client).conversations).toBe(client.conversations);
    await client.conversations.sendToConversation('a:1', activities()[0] as Activity);
    expect(server.seen).toHaveLength(1);
  });
});
