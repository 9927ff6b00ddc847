import type { RunningApp } from '../../bot/app';
import { createLogger } from '../../bot/logger';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { FakeConnector } from '../helpers/fakeConnector';
import { logSink } from '../helpers/privacy';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

const LIMIT = 5;
const POLITE_FR = /beaucoup de messages en peu de temps/;

describe(`Per-user rate limit of incoming messages (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  let second: RunningApp;
  const logs = logSink();

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    const env = { USER_MESSAGES_PER_MINUTE: String(LIMIT), LOG_LEVEL: 'info' };
    app = await startTestBot(database.url, env, { logger: createLogger('info', logs.stream) });
    // A second instance on the same database, as behind a load balancer.
    second = await startTestBot(database.url, env);
  });
  afterAll(async () => {
    await second?.stop();
    await app?.stop();
    await connector.stop();
    await database.drop();
  });

  async function send(port: number, user: TeamsUser, activity: any) {
    const before = connector.sentTo(user.conversationId).length;
    const res = await postActivity(port, activity);
    return { res, replies: connector.sentTo(user.conversationId).slice(before) };
  }

  test('when a user sends more messages in a minute than allowed, then the first one over gets one polite French message and the next ones nothing', async () => {
    const user = new TeamsUser(connector.url);
    const answered: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const { res, replies } = await send(app.port, user, user.message('Quelles sont les heures de la RAMQ?'));
      expect(res.status).toBe(200);
      answered.push(replies.length);
      expect(visibleText(replies)).not.toMatch(POLITE_FR);
    }
    expect(answered.every((n) => n > 0)).toBe(true);

    const over = await send(app.port, user, user.message('Quelles sont les heures de la RAMQ?'));
    // Teams gets 200 (a 429 would make it retry); the user gets the polite message only.
    expect(over.res.status).toBe(200);
    expect(over.replies).toHaveLength(1);
    expect(over.replies[0].text).toMatch(POLITE_FR);
    expect(over.replies[0].text).toMatch(/réessayez dans \d+ secondes?/);

    for (let i = 0; i < 3; i++) {
      const more = await send(app.port, user, user.message('allo?'));
      expect(more.res.status).toBe(200);
      expect(more.replies).toEqual([]);
    }
    // Logged once, with a hash of the user, not their id.
    const limited = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'user over the message rate limit');
    expect(limited).toHaveLength(1);
    expect(JSON.stringify(limited)).not.toContain(user.userId);
  });

  test('when an English-speaking user is over the limit, then the message is in English', async () => {
    const user = new TeamsUser(connector.url, undefined, undefined, 'en-US');
    for (let i = 0; i < LIMIT; i++) await send(app.port, user, user.message('help'));
    const over = await send(app.port, user, user.message('help'));
    expect(over.replies[0].text).toMatch(/a lot of messages in a short time/);
  });

  test('when a card action (invoke) is over the limit, then its invoke response carries the polite message and nothing runs', async () => {
    const user = new TeamsUser(connector.url);
    for (let i = 0; i < LIMIT; i++) await send(app.port, user, user.execute('menu.help', { cardId: 'x' }));
    const over = await send(app.port, user, user.execute('menu.access', { cardId: 'x' }));
    expect(over.res.status).toBe(200);
    expect(over.res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: expect.stringMatching(POLITE_FR) });
    expect(over.replies).toEqual([]);
  });

  test('when one user is over the limit, then another user is answered normally', async () => {
    const flooder = new TeamsUser(connector.url);
    for (let i = 0; i < LIMIT + 2; i++) await send(app.port, flooder, flooder.message('aide'));
    const other = new TeamsUser(connector.url);
    const { replies } = await send(app.port, other, other.message('aide'));
    expect(replies.length).toBeGreaterThan(0);
    expect(visibleText(replies)).not.toMatch(POLITE_FR);
  });

  test('when a user’s messages are spread over two instances, then the limit is counted once for both (shared database)', async () => {
    const user = new TeamsUser(connector.url);
    for (let i = 0; i < LIMIT; i++) {
      const port = i % 2 === 0 ? app.port : second.port;
      const { replies } = await send(port, user, user.message('aide'));
      expect(visibleText(replies)).not.toMatch(POLITE_FR);
    }
    const over = await send(second.port, user, user.message('aide'));
    expect(over.replies).toHaveLength(1);
    expect(over.replies[0].text).toMatch(POLITE_FR);
    // The counter's key is a hash: the user's id is not stored.
    const keys = (await app.db.prisma.rateLimitCounter.findMany()).map((r) => r.key);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain(user.userId);
    expect(keys.join(' ')).not.toContain(`aad-${user.userId}`);
  });
});
