import { FakeConnector } from '../helpers/fakeConnector';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { startTestBot } from '../helpers/bot';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';
import type { RunningApp } from '../../bot/app';
import { ConversationRefRepository } from '../../data/conversationRefRepository';

/** The welcome card's menu, as its actions' verbs in display order. */
const WELCOME_MENU = ['menu.access', 'menu.withdraw', 'menu.status', 'menu.help', 'menu.agent'];

describe(`Foundation over HTTP (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });

  test('when the database answers, then /healthz returns 200 with status ok and the outbox counts', async () => {
    app = await startTestBot(database.url);
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', outbox: { pending: 0, failed: 0, oldestPendingAt: null, failures: [] } });
  });

  test('when a Teams message arrives, then the French welcome with the menu reaches the connector', async () => {
    const user = new TeamsUser(connector.url);
    const res = await postActivity(app!.port, user.message('Bonjour'));
    expect(res.status).toBe(200);
    const replies = connector.sentTo(user.conversationId);
    expect(replies).toHaveLength(1);
    const card = replies[0].attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(visibleText(replies)).toContain('Registre provincial des DMA');
    expect(card.content.actions.map((a: any) => a.data.verb)).toEqual(WELCOME_MENU);
    // The reply is addressed back to the incoming activity, as the Bot Connector expects.
    const call = connector.calls.find((c) => c.conversationId === user.conversationId)!;
    expect(call.path).toMatch(/\/v3\/conversations\/.+\/activities\/.+/);
  });

  test('when the first message asks for something, then one message carries the welcome above the answer (one post to Teams)', async () => {
    const user = new TeamsUser(connector.url);
    const before = connector.calls.length;
    const res = await postActivity(app!.port, user.message('je veux accéder au registre des DMA'));
    expect(res.status).toBe(200);
    const replies = connector.sentTo(user.conversationId);
    expect(replies).toHaveLength(1);
    expect(connector.calls.slice(before).filter((c) => c.conversationId === user.conversationId && c.method === 'POST')).toHaveLength(1);
    expect(replies[0].attachmentLayout).toBe('list');
    const [welcome, triage] = replies[0].attachments.map((a: any) => a.content);
    expect(replies[0].attachments).toHaveLength(2);
    expect(welcome.actions.map((a: any) => a.data.verb)).toEqual(WELCOME_MENU);
    expect(JSON.stringify(triage)).toContain('"intake.triage"');
    // The next message is answered without a welcome.
    await postActivity(app!.port, user.message('annuler'));
    const next = connector.sentTo(user.conversationId).slice(1);
    expect(next).toHaveLength(1);
    expect(next[0].attachments ?? []).toEqual([]);
  });

  test('when the first message is answered with text, then the welcome card comes first as its own message', async () => {
    const user = new TeamsUser(connector.url);
    await postActivity(app!.port, user.message('annuler'));
    const replies = connector.sentTo(user.conversationId);
    expect(replies).toHaveLength(2);
    expect(replies[0].attachments[0].content.actions.map((a: any) => a.data.verb)).toContain('menu.access');
    expect(replies[0].text ?? '').toBe('');
    expect(replies[1].text).toMatch(/rien en cours à annuler/);
    expect(replies[1].attachments ?? []).toEqual([]);
  });

  test('when a conversation starts, then its reference is stored with its first state (ids only, no display name)', async () => {
    const user = new TeamsUser(connector.url);
    await postActivity(app!.port, user.message('Bonjour'));
    const stored = await new ConversationRefRepository(app!.db.prisma).find(user.conversationId);
    expect(stored).toMatchObject({ conversationId: user.conversationId, scope: 'personal', userId: user.userId });
    const reference = JSON.parse(stored!.reference) as { serviceUrl?: string; user?: { id?: string; name?: string } };
    expect(reference.serviceUrl).toBe(connector.url);
    expect(reference.user).toMatchObject({ id: user.userId, name: '' });
    // Stored in the same write as the state that records the welcome.
    const state = await app!.db.prisma.botStateItem.findMany({ where: { key: { contains: user.conversationId } } });
    expect(state.map((row) => JSON.parse(row.data) as { flags?: { welcomed?: boolean } }).some((data) => data.flags?.welcomed)).toBe(true);
  });

  test('when the server restarts on the same database, then the conversation state survives (no second welcome, language kept)', async () => {
    const user = new TeamsUser(connector.url);
    await postActivity(app!.port, user.message('Bonjour'));
    await postActivity(app!.port, user.message('English'));
    expect(visibleText(connector.sentTo(user.conversationId))).toContain("I'll answer in English");

    await app!.stop();
    app = await startTestBot(database.url);

    await postActivity(app.port, user.message('What are the RAMQ phone hours?'));
    const replies = connector.sentTo(user.conversationId);
    const last = replies[replies.length - 1];
    // Not welcomed again, and still in English: the state came back from the database.
    expect(visibleText([last])).not.toMatch(/Bonjour|Je suis/);
    expect(visibleText([last])).toMatch(/Monday/);
    const welcomes = replies.filter((r) => visibleText([r]).includes('access assistant') || visibleText([r]).includes('assistant d’accès') || visibleText([r]).includes("assistant d'accès"));
    expect(welcomes).toHaveLength(1);
  });

  test('when the same activity is delivered twice, then it is handled once', async () => {
    const user = new TeamsUser(connector.url);
    const activity = user.message('Bonjour');
    await postActivity(app!.port, activity);
    await postActivity(app!.port, activity);
    expect(connector.sentTo(user.conversationId)).toHaveLength(1);
  });

  test('when the body is not JSON, not an object or has no type, then 400 with a generic message', async () => {
    for (const body of ['{bad json', '[1,2]', '"text"', '{"text":"no type"}']) {
      const res = await postActivity(app!.port, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'Bad request' });
    }
  });

  test('when the body is over the size limit, then 413 without exception text', async () => {
    const user = new TeamsUser(connector.url);
    const res = await postActivity(app!.port, user.message('x'.repeat(400 * 1024)));
    expect(res.status).toBe(413);
    expect(res.text).not.toMatch(/Error|at |stack/);
  });

  test('when the database is gone, then /healthz returns 503', async () => {
    await app!.db.close();
    if (mainProvider() === 'sqlite') await database.drop();
    else await database.drop();
    const res = await fetch(`http://127.0.0.1:${app!.port}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable' });
  });
});
