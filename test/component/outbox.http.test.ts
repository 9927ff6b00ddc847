import type { RunningApp } from '../../bot/app';
import { ConversationRefRepository } from '../../data/conversationRefRepository';
import type { OutboxRecord } from '../../data/outboxRepository';
import { PROACTIVE_ACTIVITY_KIND } from '../../bot/services/proactive';
import { startTestBot } from '../helpers/bot';
import { FakeClock, SECOND } from '../helpers/clock';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { FakeConnector } from '../helpers/fakeConnector';
import { postActivity } from '../helpers/teams';

/**
 * The generic outbox (repository + dispatcher + proactive sender) against a real database and the fake
 * Bot Connector. Timers are off: each test drives the dispatcher with runOnce() and a fake clock.
 */
describe(`reliable outbox over the fake Bot Connector (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  const clock = new FakeClock('2026-03-02T15:00:00Z');
  let seq = 0;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, { OUTBOX_MAX_ATTEMPTS: '4', OUTBOX_BACKOFF_BASE_MS: '1000', OUTBOX_BACKOFF_MAX_MS: '60000' }, { clock: clock.now, startTimers: false, random: () => 0.5 });
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });
  afterEach(() => connector.clearResponders());

  /** A personal conversation the bot knows (as if the user had written before). */
  async function knownConversation(): Promise<string> {
    const conversationId = `a:outbox-${++seq}-${Date.now().toString(36)}`;
    await new ConversationRefRepository(app.db.prisma).save({
      conversationId,
      scope: 'personal',
      userId: `29:u-${seq}`,
      reference: JSON.stringify({
        channelId: 'msteams',
        serviceUrl: connector.url,
        conversation: { id: conversationId, conversationType: 'personal', tenantId: 'tenant-test' },
        bot: { id: '28:bot', name: 'Assistant DMA' },
        user: { id: `29:u-${seq}` },
        activityId: 'old-activity',
      }),
    });
    return conversationId;
  }

  async function enqueueText(conversationId: string, text: string, extra: { orderingKey?: string; kind?: string } = {}): Promise<OutboxRecord> {
    return app.outbox.repository.enqueue(
      { kind: extra.kind ?? PROACTIVE_ACTIVITY_KIND, target: { type: 'conversation', conversationId }, payload: { activity: { type: 'message', text } }, orderingKey: extra.orderingKey },
      clock.now(),
    );
  }

  const postsTo = (conversationId: string) => connector.calls.filter((c) => c.method === 'POST' && c.conversationId === conversationId);

  test('when a message is enqueued and the dispatcher runs, then it is posted once as a new message and its activity id is stored', async () => {
    const conversationId = await knownConversation();
    const row = await enqueueText(conversationId, 'Votre demande avance.');
    await app.outbox.dispatcher.runOnce();
    const posts = postsTo(conversationId);
    expect(posts).toHaveLength(1);
    // A new message, not a reply to the activity the reference was taken from.
    expect(posts[0].path).toBe(`/v3/conversations/${encodeURIComponent(conversationId)}/activities`);
    expect(posts[0].body.text).toBe('Votre demande avance.');
    const stored = await app.outbox.repository.findById(row.id);
    expect(stored).toMatchObject({ status: 'sent', attempts: 1, conversationId, lockOwner: null });
    expect(stored!.activityId).toMatch(/^act-/);
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId)).toHaveLength(1);
  });

  test('when Teams answers 429 with Retry-After, then the message waits exactly that long and is then delivered once', async () => {
    const conversationId = await knownConversation();
    connector.failNext((c) => c.conversationId === conversationId, 429, 1, { 'Retry-After': '7' });
    const row = await enqueueText(conversationId, 'Rappel');
    const start = clock.now();
    await app.outbox.dispatcher.runOnce();
    let stored = await app.outbox.repository.findById(row.id);
    expect(stored).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 429' });
    expect(stored!.nextAttemptAt.getTime()).toBe(start.getTime() + 7 * SECOND);

    clock.advance(6 * SECOND);
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId)).toHaveLength(1);

    clock.advance(1 * SECOND);
    await app.outbox.dispatcher.runOnce();
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId)).toHaveLength(2);
    stored = await app.outbox.repository.findById(row.id);
    expect(stored).toMatchObject({ status: 'sent', attempts: 2 });
  });

  test('when Teams fails with 5xx, then retries back off exponentially with jitter', async () => {
    const conversationId = await knownConversation();
    connector.failNext((c) => c.conversationId === conversationId, 502, 2);
    const row = await enqueueText(conversationId, 'x');
    const t0 = clock.now().getTime();
    await app.outbox.dispatcher.runOnce();
    let stored = await app.outbox.repository.findById(row.id);
    // base 1000 ms × 2^0, jitter factor 0.5 + 0.5 × random(0.5) = 0.75
    expect(stored!.nextAttemptAt.getTime() - t0).toBe(750);
    clock.advance(750);
    const t1 = clock.now().getTime();
    await app.outbox.dispatcher.runOnce();
    stored = await app.outbox.repository.findById(row.id);
    expect(stored!.nextAttemptAt.getTime() - t1).toBe(1500);
    clock.advance(1500);
    await app.outbox.dispatcher.runOnce();
    expect((await app.outbox.repository.findById(row.id))!.status).toBe('sent');
    expect(app.outbox.dispatcher.backoffMs(30)).toBe(45_000); // capped at OUTBOX_BACKOFF_MAX_MS, jittered
  });

  test('when deliveries keep failing, then the row is marked failed after the last attempt and /healthz shows it without personal data', async () => {
    const conversationId = await knownConversation();
    connector.failNext((c) => c.conversationId === conversationId, 503, 10);
    const row = await enqueueText(conversationId, 'Marie Tremblay, marie@example.org');
    for (let i = 0; i < 4; i++) {
      await app.outbox.dispatcher.runOnce();
      clock.advance(60 * SECOND);
    }
    expect(postsTo(conversationId)).toHaveLength(4);
    expect(await app.outbox.repository.findById(row.id)).toMatchObject({ status: 'failed', attempts: 4, lastError: 'HTTP 503' });
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.status).toBe('ok');
    expect(body.outbox.failed).toBeGreaterThanOrEqual(1);
    expect(body.outbox.failures).toContainEqual(expect.objectContaining({ id: row.id, kind: PROACTIVE_ACTIVITY_KIND, lastError: 'HTTP 503', attempts: 4 }));
    expect(text).not.toMatch(/Tremblay|example\.org/);
  });

  test('when Teams answers 403 (the user blocked the bot), then the row fails at once and the kind’s failure handler hears about it', async () => {
    const conversationId = await knownConversation();
    const heard: { id: number; status?: number }[] = [];
    app.outbox.dispatcher.register('test.blocked', {
      deliver: (m) => app.outbox.proactive.send(m.target, { type: 'message', text: 'x' }),
      onFailed: async (m, failure) => {
        heard.push({ id: m.id, status: failure.status });
      },
    });
    connector.failNext((c) => c.conversationId === conversationId, 403, 1);
    const row = await enqueueText(conversationId, 'x', { kind: 'test.blocked' });
    await app.outbox.dispatcher.runOnce();
    expect(await app.outbox.repository.findById(row.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 403' });
    expect(heard).toEqual([{ id: row.id, status: 403 }]);
  });

  test('when two rows share an ordering key and the first must wait, then the second is not delivered before it', async () => {
    const conversationId = await knownConversation();
    connector.failNext((c) => c.conversationId === conversationId, 500, 1);
    await enqueueText(conversationId, 'first', { orderingKey: `k-${conversationId}` });
    await enqueueText(conversationId, 'second', { orderingKey: `k-${conversationId}` });
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId).map((c) => c.body.text)).toEqual(['first']);
    clock.advance(10 * SECOND);
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId).map((c) => c.body.text)).toEqual(['first', 'first', 'second']);
  });

  test('when the instance that claimed a row died, then another one delivers it once its lock has expired', async () => {
    const conversationId = await knownConversation();
    const row = await enqueueText(conversationId, 'orphan');
    const [claimed] = await app.outbox.repository.claimDue('dead-instance', clock.now(), new Date(clock.now().getTime() + 60 * SECOND), 1);
    expect(claimed.id).toBe(row.id);
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId)).toHaveLength(0);
    clock.advance(61 * SECOND);
    await app.outbox.dispatcher.runOnce();
    expect(postsTo(conversationId)).toHaveLength(1);
    // The dead instance's late acknowledgement does not overwrite the real outcome.
    expect(await app.outbox.repository.markRetry(row.id, 'dead-instance', clock.now(), clock.now(), 'late')).toBe(false);
    expect((await app.outbox.repository.findById(row.id))!.status).toBe('sent');
  });

  test('when two instances dispatch the same queue at once, then every message is delivered exactly once', async () => {
    const second = await startTestBot(database.url, {}, { clock: clock.now, startTimers: false });
    try {
      const conversationId = await knownConversation();
      for (let i = 0; i < 12; i++) await enqueueText(conversationId, `m${i}`);
      await Promise.all([app.outbox.dispatcher.runOnce(), second.outbox.dispatcher.runOnce(), app.outbox.dispatcher.runOnce()]);
      await Promise.all([app.outbox.dispatcher.runOnce(), second.outbox.dispatcher.runOnce()]);
      const texts = postsTo(conversationId).map((c) => c.body.text).sort();
      expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    } finally {
      await second.stop();
    }
  });

  test('when the bot is added to a team, then a card can be posted to its General channel and updated in place', async () => {
    const teamId = `19:team-${Date.now().toString(36)}@thread.tacv2`;
    const res = await postActivity(app.port, {
      type: 'conversationUpdate',
      id: `cu-${teamId}`,
      channelId: 'msteams',
      serviceUrl: connector.url,
      from: { id: '29:admin' },
      recipient: { id: '28:bot', name: 'Assistant DMA' },
      conversation: { id: teamId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-test' },
      membersAdded: [{ id: '28:bot' }],
      channelData: { eventType: 'teamMemberAdded', team: { id: teamId, name: 'Gestionnaires' }, tenant: { id: 'tenant-test' } },
    });
    expect(res.status).toBe(200);
    const posted = await app.outbox.proactive.send({ type: 'channel', teamId }, { type: 'message', text: 'Nouvelle demande' });
    const create = connector.calls.filter((c) => c.method === 'POST' && c.path === '/v3/conversations').pop()!;
    expect(create.body.channelData.channel.id).toBe(teamId);
    expect(create.body.activity.text).toBe('Nouvelle demande');
    expect(create.body.isGroup).toBe(true);
    expect(posted.conversationId).toContain(teamId);

    await app.outbox.proactive.update({ type: 'channel', teamId }, posted, { type: 'message', text: 'Demande prise en charge' });
    const put = connector.calls.filter((c) => c.method === 'PUT').pop()!;
    expect(put.conversationId).toBe(posted.conversationId);
    expect(put.activityId).toBe(posted.activityId);
    expect(put.body.text).toBe('Demande prise en charge');
  });

  test('when a channel post targets a team the bot is not in yet, then it waits and goes out as soon as the bot is installed there', async () => {
    const teamId = `19:later-${Date.now().toString(36)}@thread.tacv2`;
    const row = await app.outbox.repository.enqueue({ kind: PROACTIVE_ACTIVITY_KIND, target: { type: 'channel', teamId }, payload: { activity: { type: 'message', text: 'en attente' } } }, clock.now());
    await app.outbox.dispatcher.runOnce();
    expect(await app.outbox.repository.findById(row.id)).toMatchObject({ status: 'pending', lastError: 'TeamNotInstalledError' });
    await postActivity(app.port, {
      type: 'installationUpdate',
      action: 'add',
      id: `iu-${teamId}`,
      channelId: 'msteams',
      serviceUrl: connector.url,
      from: { id: '29:admin' },
      recipient: { id: '28:bot', name: 'Assistant DMA' },
      conversation: { id: teamId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-test' },
      channelData: { team: { id: teamId }, tenant: { id: 'tenant-test' } },
    });
    // Requeued for now: no need to wait for the backoff.
    await app.outbox.dispatcher.runOnce();
    expect(await app.outbox.repository.findById(row.id)).toMatchObject({ status: 'sent' });
  });

  test('when the connector does not answer, then the attempt times out and is retried', async () => {
    const slow = await startTestBot(database.url, { OUTBOX_SEND_TIMEOUT_MS: '300' }, { clock: clock.now, startTimers: false, random: () => 0 });
    try {
      const conversationId = await knownConversation();
      connector.respond((c) => (c.conversationId === conversationId && c.method === 'POST' && postsTo(conversationId).length <= 1 ? { status: 200, hang: true } : undefined));
      const row = await enqueueText(conversationId, 'lent');
      await slow.outbox.dispatcher.runOnce();
      const stored = await slow.outbox.repository.findById(row.id);
      expect(stored!.status).toBe('pending');
      expect(stored!.attempts).toBe(1);
      expect(stored!.lastError).toMatch(/Timeout|Abort|REQUEST_SEND_ERROR/);
    } finally {
      await slow.stop();
    }
  });
});
