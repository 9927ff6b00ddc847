import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { RunningApp } from '../../bot/app';
import { createLogger } from '../../bot/logger';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { FakeConnector } from '../helpers/fakeConnector';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

/** Number of generated activities and card payloads the fuzz test sends. */
const FUZZ_RUNS = 600;
/** Personal-looking values planted in generated payloads: none may reach the logs. */
const PLANTED = { email: 'fuzz.marker@example.org', employeeNumber: '7391846', name: 'Zébulon Fuzzmarqueur' };

/** A response is well-formed when it is not a server error and its body is empty or JSON with no exception text. */
function problemsWith(res: { status: number; text: string }): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  if (res.text !== '') {
    try {
      JSON.parse(res.text);
    } catch {
      problems.push('body is not JSON');
    }
  }
  if (/\bat \S+ \(|\n\s+at |[A-Z]\w*Error\b|Exception|stack/.test(res.text)) problems.push(`exception text in body: ${res.text.slice(0, 200)}`);
  return problems;
}

/** Collects every log line. */
function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

const VERBS = ['intake.triage', 'intake.submit', 'withdraw.submit', 'intake.confirm', 'intake.edit', 'intake.cancel', 'menu.access', 'menu.withdraw', 'menu.status', 'menu.help', 'menu.agent', 'route.ask', 'request.cancel'];
const ACTIVITY_TYPES = ['message', 'invoke', 'conversationUpdate', 'messageReaction', 'event', 'typing', 'installationUpdate', 'endOfConversation', 'messageUpdate', 'messageDelete', 'trace', 'handoff', 'invokeResponse', 'command', 'suggestion'];
const INVOKE_NAMES = ['adaptiveCard/action', 'task/fetch', 'task/submit', 'composeExtension/query', 'signin/verifyState', 'config/fetch', 'message/submitAction', 'actionableMessage/executeAction'];

/** Nested arrays and objects `depth` levels deep. */
function deep(depth: number, leaf: unknown = 'x'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe(`Malformed input and fuzzing over HTTP (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  const logs = logSink();

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    // A high per-user limit: the fuzzer replays a few users on purpose, and must reach the dialogs.
    app = await startTestBot(database.url, { LOG_LEVEL: 'trace', USER_MESSAGES_PER_MINUTE: '10000' }, { logger: createLogger('trace', logs.stream) });
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });

  /** Turns that ended in an error (the user got no answer), since the last call. */
  let seenLines = 0;
  const turnFailures = () => {
    const fresh = logs.lines.slice(seenLines);
    seenLines = logs.lines.length;
    return fresh.map((l) => JSON.parse(l)).filter((l) => l.msg === 'turn failed').map((l) => `${l.err?.type}: ${l.err?.message}`);
  };
  const health = async () => (await fetch(`http://127.0.0.1:${app.port}/healthz`)).status;

  test.each([
    ['not JSON', '{"type":"message",', 400],
    ['JSON but not an object', '[{"type":"message"}]', 400],
    ['a JSON string', '"message"', 400],
    ['null', 'null', 400],
    ['an object without type', '{"text":"Bonjour"}', 400],
    ['a type that is not a string', '{"type":42,"text":"Bonjour"}', 400],
    ['an empty body', '', 400],
  ])('when the body is %s, then a 4xx with a generic JSON body', async (_label, body, status) => {
    const res = await postActivity(app.port, body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: 'Bad request' });
  });

  test('when the body is over the size limit (a 1 MB text), then 413 with a generic body', async () => {
    const user = new TeamsUser(connector.url);
    const res = await postActivity(app.port, user.message('x'.repeat(1024 * 1024)));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'Payload too large' });
  });

  test('when the body is sent as text/plain, then 4xx and no crash', async () => {
    const user = new TeamsUser(connector.url);
    const res = await fetch(`http://127.0.0.1:${app.port}/api/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(user.message('Bonjour')) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  test('when a message carries a 200 KB text (under the limit), then the bot answers politely and does not echo it', async () => {
    const user = new TeamsUser(connector.url);
    await postActivity(app.port, user.message('Bonjour'));
    const huge = `${'bla '.repeat(50_000)}`;
    const res = await postActivity(app.port, user.message(huge));
    expect(res.status).toBe(200);
    const replies = connector.sentTo(user.conversationId).slice(1);
    expect(replies.length).toBeGreaterThan(0);
    expect(visibleText(replies)).not.toContain('bla bla bla bla');
  });

  test('when activity types are unknown or card payloads have wrong types and extra fields, then 2xx/4xx and a polite answer where one is due', async () => {
    const user = new TeamsUser(connector.url);
    await postActivity(app.port, user.message('Bonjour'));
    const cases: unknown[] = [
      { ...user.message('x'), type: 'definitelyNotAType' },
      user.submit({ verb: 'intake.submit', cardId: 42, lastName: { nested: true }, email: ['a'], extra: 'field' }),
      user.submit({ verb: 'request.cancel', requestId: { $gt: 0 } }),
      user.submit({ verb: 'menu.unknown-verb', cardId: 'x' }),
      user.submit({ verb: 'route.ask', route: 'no.such.route' }),
      user.submit({ verb: 'route.ask', route: 'toString' }),
      user.submit({ verb: 12345 }),
      user.execute('intake.confirm', { cardId: null, verb: ['x'] }),
      { ...user.execute('route.ask', { route: { toString: 'x' } }) },
      { ...user.message('x'), type: 'invoke', name: 'composeExtension/query', value: deep(500) },
      { ...user.message('x'), value: deep(2000), text: undefined },
      { ...user.message('x'), from: 'not-an-object' },
      { ...user.message('x'), conversation: { id: 42 } },
      { ...user.message('x'), locale: { fr: true } },
    ];
    for (const activity of cases) {
      const res = await postActivity(app.port, activity);
      expect({ activity, problems: problemsWith(res) }).toEqual({ activity, problems: [] });
    }
    // No turn failed: every one of them was answered or refused on purpose.
    expect(turnFailures()).toEqual([]);
    // The unknown verb got the polite « Je ne reconnais pas ce bouton » and the menu.
    expect(visibleText(connector.sentTo(user.conversationId))).toMatch(/Je ne reconnais pas ce bouton/);
    expect(await health()).toBe(200);
  });

  test('when the connector cannot be reached, then Teams still gets a well-formed answer and the server stays healthy', async () => {
    const user = new TeamsUser('http://127.0.0.1:1');
    for (const activity of [user.message('Bonjour'), user.execute('menu.help', { cardId: 'x' })]) {
      const res = await postActivity(app.port, activity);
      expect(problemsWith(res)).toEqual([]);
    }
    expect(await health()).toBe(200);
  });

  test(`when ${FUZZ_RUNS} generated activities and card payloads are posted, then every response is well-formed and the server stays healthy`, async () => {
    const pool = Array.from({ length: 4 }, () => new TeamsUser(connector.url));
    for (const user of pool) {
      await postActivity(app.port, user.message('Bonjour'));
      await postActivity(app.port, user.submit({ verb: 'menu.access', cardId: 'menu' }));
    }

    const plantedText = fc.constantFrom(
      `mon courriel est ${PLANTED.email}`,
      `numéro d'employé ${PLANTED.employeeNumber}`,
      `${PLANTED.name} veut un accès`,
      PLANTED.email,
    );
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.constantFrom('', ' ', '\u0000', '\u202e', '${notice}', '{{reference}}', '<script>alert(1)</script>', 'DMA-2026-00001', 'annuler', 'aide', 'English', "SELECT * FROM access_requests; --", 'mon mot de passe est Soleil2024!', 'ihv2T7sD'),
      plantedText,
      fc.integer({ min: 1_000, max: 150_000 }).map((n) => 'é'.repeat(n)),
    );
    const junk = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 1, max: 3000 }).map((d) => deep(d)));
    const fieldValue = fc.oneof(text, junk, fc.constant(PLANTED.email), fc.constant(PLANTED.employeeNumber));
    const cardData = fc
      .record(
        {
          verb: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VERBS) }, fc.string({ maxLength: 30 }), junk),
          cardId: fc.oneof(fc.uuid(), fc.string(), junk),
          requestId: fc.oneof(fc.integer(), fc.string(), junk),
          route: fc.oneof(fc.constantFrom('help', 'info.hours', 'agent', 'nope'), junk),
          requesterRole: fc.oneof(fc.constantFrom('physician', 'manager', 'supervisor'), junk),
          hasRamqCode: fc.oneof(fc.constantFrom('yes', 'no'), junk),
          lastName: fieldValue,
          firstName: fieldValue,
          email: fieldValue,
          employeeNumber: fieldValue,
          ramqUserCode: fieldValue,
          jobTitle: fieldValue,
          practiceLocation: fieldValue,
          supervisorAuthorized: fc.oneof(fc.constantFrom('true', 'false'), junk),
        },
        { requiredKeys: ['verb'] },
      )
      .chain((data) => fc.dictionary(fc.string({ maxLength: 12 }), junk, { maxKeys: 3 }).map((extra) => ({ ...extra, ...data })));

    // (An unreachable connector costs seconds of retries per activity: it has its own test above.)
    const serviceUrl = fc.oneof({ weight: 8, arbitrary: fc.constant(connector.url) }, fc.constant('not a url'), fc.constant('ftp://127.0.0.1/'), junk);
    const generated = fc.record(
      {
        user: fc.oneof(fc.constantFrom(...pool), fc.constant(undefined)),
        shape: fc.oneof(
          { weight: 3, arbitrary: fc.constant('text') },
          { weight: 4, arbitrary: fc.constant('submit') },
          { weight: 3, arbitrary: fc.constant('execute') },
          fc.constantFrom('invoke', 'other', 'raw'),
        ),
        type: fc.oneof(fc.constantFrom(...ACTIVITY_TYPES), fc.string({ maxLength: 20 }), junk),
        name: fc.oneof(fc.constantFrom(...INVOKE_NAMES), fc.string({ maxLength: 20 }), junk),
        text,
        data: cardData,
        value: junk,
        serviceUrl,
        overrides: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, fc.dictionary(
          fc.constantFrom('from', 'conversation', 'recipient', 'channelId', 'locale', 'id', 'membersAdded', 'membersRemoved', 'channelData', 'attachments', 'entities', 'replyToId', 'timestamp', 'localTimestamp', 'textFormat', 'extra'),
          junk,
          { maxKeys: 2 },
        )),
      },
      { requiredKeys: ['shape', 'text', 'data', 'serviceUrl', 'type', 'name', 'value', 'overrides', 'user'] },
    );

    turnFailures();
    let runs = 0;
    const statuses = new Map<number, number>();
    const repliesBefore = connector.calls.length;
    const failures: unknown[] = [];
    await fc.assert(
      fc.asyncProperty(generated, async (g) => {
        runs++;
        const user = g.user ?? new TeamsUser(connector.url);
        let activity: Record<string, unknown>;
        switch (g.shape) {
          case 'text':
            activity = user.message(g.text as string);
            break;
          case 'submit':
            activity = user.submit(g.data);
            break;
          case 'execute':
            activity = user.execute(typeof g.data.verb === 'string' ? g.data.verb : 'intake.submit', g.data);
            break;
          case 'invoke':
            activity = { ...user.message(''), type: 'invoke', name: g.name, value: g.value, text: undefined };
            break;
          case 'other':
            activity = { ...user.message(g.text as string), type: g.type, value: g.value };
            break;
          default:
            activity = { type: g.type, ...g.overrides };
        }
        activity = { ...activity, ...g.overrides, serviceUrl: g.serviceUrl };
        const res = await postActivity(app.port, activity);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problems = problemsWith(res);
        if (problems.length) {
          failures.push({ problems, activity: JSON.stringify(activity).slice(0, 500) });
          throw new Error(`ill-formed response (${problems.join('; ')}) to ${JSON.stringify(activity).slice(0, 300)}`);
        }
      }),
      { numRuns: FUZZ_RUNS, seed: Number(process.env.FUZZ_SEED ?? 20260708), endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(turnFailures()).toEqual([]);
    expect(runs).toBeGreaterThanOrEqual(500);
    expect(await health()).toBe(200);
    // eslint-disable-next-line no-console
    console.info(`fuzz: ${runs} generated activities and card payloads posted; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${connector.calls.length - repliesBefore} calls to the connector`);
    // Most cases got past the door and ran a turn (so the dialogs were fuzzed, not only the shape check).
    expect((statuses.get(200) ?? 0) / runs).toBeGreaterThan(0.5);

    // The planted personal values never reached the logs, whatever path they took.
    const all = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(all).not.toContain(PLANTED.email);
    expect(all).not.toContain(PLANTED.employeeNumber);
    expect(all).not.toContain('Fuzzmarqueur');
  }, 300_000);
});
