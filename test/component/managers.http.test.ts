import type { RunningApp } from '../../bot/app';
import { RequestRepository } from '../../data/requestRepository';
import { formatReference } from '../../domain/intake/reference';
import { startBotProcess, startTestBot, stopBotProcess } from '../helpers/bot';
import { DAY, FakeClock, MINUTE, SECOND } from '../helpers/clock';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { actionData, lastCard } from '../helpers/dialogHarness';
import { FakeConnector } from '../helpers/fakeConnector';
import { MANAGERS_TEAM_ID, TeamsChannelMember, cardText, cardVerbs, currentManagersCard, fileRequest, isCardPostFor, post, type PostedCard } from '../helpers/managersTeam';
import { TeamsUser, visibleText } from '../helpers/teams';

/**
 * The access managers' workflow over HTTP: real bot, real database, fake Bot Connector. Timers are off;
 * each test drives the outbox dispatcher and the deadline sweep with runOnce() and a fake clock that only
 * moves forward.
 */
describe(`access managers' workflow over HTTP (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  const clock = new FakeClock('2026-03-02T15:00:00Z'); // Monday 10:00, Montréal time
  const env = { ACCESS_MANAGERS_TEAM_ID: MANAGERS_TEAM_ID };
  let luc: TeamsChannelMember;
  let marie: TeamsChannelMember;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, env, { clock: clock.now, startTimers: false });
    luc = new TeamsChannelMember(connector.url, 'Luc Gagnon');
    marie = new TeamsChannelMember(connector.url, 'Marie Côté');
    await post(app, luc.installBot());
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });
  afterEach(() => connector.clearResponders());

  const deliver = () => app.outbox.dispatcher.runOnce();
  const request = (reference: string) => app.db.prisma.accessRequest.findUniqueOrThrow({ where: { reference } });
  /** The managers' card of a request as Teams shows it now: the last PUT of its activity, else the post. */
  const managersCard = async (reference: string): Promise<PostedCard> => currentManagersCard(connector, await request(reference));

  const putsOf = async (reference: string) => {
    const r = await request(reference);
    return connector.calls.filter((c) => c.method === 'PUT' && c.activityId === r.managerCardActivityId);
  };

  /** Notices the requester received in their chat after the filing conversation. */
  const notices = (user: TeamsUser) => connector.sentTo(user.conversationId).filter((a) => a.summary);

  /** A manager uses a verb on the request's card as it is now, then the outbox delivers. */
  async function act(member: TeamsChannelMember, reference: string, verb: string, extra: Record<string, unknown> = {}): Promise<void> {
    await post(app, member.execute(await managersCard(reference), verb, extra));
    await deliver();
  }

  async function fileAndPost(kind: 'access_with_code' | 'access_without_code' | 'withdrawal', user = new TeamsUser(connector.url)) {
    const reference = await fileRequest(app, connector, user, kind);
    await deliver();
    return { user, reference, card: await managersCard(reference) };
  }

  test('when the bot is added to the managers’ team, then it says in the channel what it will post there', async () => {
    const said = visibleText(connector.sentTo(MANAGERS_TEAM_ID));
    expect(said).toMatch(/chaque nouvelle demande d'accès/);
    expect(await app.db.prisma.teamInstallation.findUnique({ where: { teamId: MANAGERS_TEAM_ID } })).toMatchObject({ channelId: MANAGERS_TEAM_ID, serviceUrl: connector.url });
  });

  test('when a request is filed, then its card is posted once to the managers’ General channel with what the RAMQ step needs, and its activity id is stored', async () => {
    const user = new TeamsUser(connector.url);
    const reference = await fileRequest(app, connector, user, 'access_with_code');
    // Committed with its outbox row; nothing posted until the dispatcher runs.
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(0);
    expect(await app.db.prisma.outboxMessage.count({ where: { kind: 'managers.requestCard', status: 'pending' } })).toBe(1);
    await deliver();
    await deliver();
    const posts = connector.calls.filter(isCardPostFor(reference));
    expect(posts).toHaveLength(1);
    expect(posts[0].body.channelData.channel.id).toBe(MANAGERS_TEAM_ID);
    const { card, activityId } = await managersCard(reference);
    const text = cardText(card);
    expect(text).toContain(`Demande ${reference}`);
    expect(text).toContain('Statut : Reçue');
    expect(text).toContain("Code d'utilisateur RAMQ: tuser001");
    expect(text).toContain('Lieu de pratique principal: CHU de Québec');
    expect(text).toMatch(/Demande reçue · Dre Test/);
    expect(cardVerbs(card)).toEqual(['request.claim', 'request.reject']);
    expect(activityId).toBeTruthy();
  });

  test('when a manager takes, sends the code and completes a request without a RAMQ code, then each step updates the same card in place and tells the requester', async () => {
    const { user, reference, card } = await fileAndPost('access_without_code');

    await post(app, luc.execute(card, 'request.claim'));
    await deliver();
    let now = await managersCard(reference);
    expect(now.activityId).toBe(card.activityId);
    expect(cardText(now.card)).toContain('Statut : En traitement');
    expect(cardText(now.card)).toContain('Prise en charge par Luc Gagnon');
    expect(cardText(now.card)).toMatch(/générer le code secret/);
    expect(cardVerbs(now.card)).toEqual(['request.codeSent', 'request.reject']);
    expect(visibleText(notices(user).slice(-1))).toMatch(/a pris votre demande en charge/);

    await post(app, luc.execute(now, 'request.codeSent'));
    await deliver();
    now = await managersCard(reference);
    expect(cardText(now.card)).toContain('Statut : Code secret transmis');
    expect(cardText(now.card)).toMatch(/Code secret valide jusqu'au 7 mars 2026/);
    expect(cardVerbs(now.card)).toEqual(['request.codeSent', 'request.complete', 'request.reject']); // « Nouveau code », done, reject
    const codeNotice = notices(user).slice(-1);
    expect(visibleText(codeNotice)).toMatch(/autrement que par courriel/);
    expect(visibleText(codeNotice)).toMatch(/avant le 7 mars 2026/);
    expect(cardVerbs(lastCard(codeNotice))).toEqual(['request.registrationDone']);
    expect((await request(reference)).codeExpiresAt?.toISOString()).toBe(new Date(clock.now().getTime() + 5 * DAY).toISOString());

    await post(app, luc.submit(now, 'request.complete'));
    await deliver();
    now = await managersCard(reference);
    expect(cardText(now.card)).toContain('Statut : Terminée');
    expect(cardText(now.card)).toContain('les renseignements personnels ne sont plus affichés');
    expect(cardText(now.card)).not.toContain('123456');
    expect(cardVerbs(now.card)).toEqual([]);
    expect(visibleText(notices(user).slice(-1))).toMatch(/C'est fait : l'accès au Registre des DMA est en place/);

    expect(await putsOf(reference)).toHaveLength(3);
    const events = await app.db.prisma.requestEvent.findMany({ where: { request: { reference } }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.action, e.actorName])).toEqual([
      ['filed', 'Dre Test'],
      ['claimed', 'Luc Gagnon'],
      ['code_sent', 'Luc Gagnon'],
      ['completed', 'Luc Gagnon'],
    ]);
    expect(events[1].actorId).toBe(luc.userId);
    // Each manager action is in the access log: who, which request, what.
    const id = (await request(reference)).id;
    const logged = await app.db.prisma.accessLogEntry.findMany({ where: { requestId: id, actorId: luc.userId }, orderBy: { id: 'asc' } });
    expect(logged.map((l) => l.action)).toEqual(expect.arrayContaining(['manager.claim', 'manager.codeSent', 'manager.complete']));
  });

  test('when a manager rejects without a reason, then nothing changes; with a reason, the card and the requester show it', async () => {
    const { user, reference, card } = await fileAndPost('access_with_code');
    await post(app, luc.execute(card, 'request.claim'));
    await deliver();
    const claimed = await managersCard(reference);

    await post(app, luc.execute(claimed, 'request.reject', { reason: '   ' }));
    expect(visibleText(connector.sentTo(claimed.conversationId).slice(-1))).toMatch(/Indiquez le motif du refus de la demande/);
    expect((await request(reference)).status).toBe('in_progress');

    await post(app, luc.execute(claimed, 'request.reject', { reason: 'Le code RAMQ indiqué est introuvable.' }));
    await deliver();
    const rejected = await managersCard(reference);
    expect(cardText(rejected.card)).toContain('Statut : Refusée');
    expect(cardText(rejected.card)).toContain('Refusée : Le code RAMQ indiqué est introuvable. · Luc Gagnon');
    expect(visibleText(notices(user).slice(-1))).toMatch(/refusé cette demande\. Motif : Le code RAMQ indiqué est introuvable\./);
    expect(await request(reference)).toMatchObject({ status: 'rejected', rejectionReason: 'Le code RAMQ indiqué est introuvable.' });
  });

  test('when a withdrawal is completed, then the card says the access was withdrawn and the supervisor is told', async () => {
    const { user, reference, card } = await fileAndPost('withdrawal');
    expect(cardText(card.card)).toContain('Supérieur immédiat du professionnel');
    await post(app, luc.execute(card, 'request.claim'));
    await deliver();
    const claimed = await managersCard(reference);
    expect(cardText(claimed.card)).toMatch(/retirer l'accès au Registre DMA/);
    await post(app, luc.execute(claimed, 'request.complete'));
    await deliver();
    expect(cardText((await managersCard(reference)).card)).toContain('Accès retiré · Luc Gagnon');
    expect(visibleText(notices(user).slice(-1))).toMatch(/l'accès du professionnel au Registre des DMA a été retiré/);
  });

  test('when two managers take the same request at once, then exactly one wins and the other is told who has it', async () => {
    const { reference, card } = await fileAndPost('access_with_code');
    const before = connector.sentTo(card.conversationId).length;
    await Promise.all([post(app, luc.execute(card, 'request.claim')), post(app, marie.execute(card, 'request.claim'))]);
    const stored = await request(reference);
    expect([luc.userId, marie.userId]).toContain(stored.assigneeId);
    const winner = stored.assigneeId === luc.userId ? luc : marie;
    const claims = await app.db.prisma.requestEvent.count({ where: { requestId: stored.id, action: 'claimed' } });
    expect(claims).toBe(1);
    const replies = connector.sentTo(card.conversationId).slice(before);
    expect(visibleText(replies)).toBe(`${winner.name} a déjà pris en charge la demande ${reference}.`);
    await deliver();
    expect(cardText((await managersCard(reference)).card)).toContain(`Prise en charge par ${winner.name}`);
  });

  test('when a card action comes from outside the managers’ team, then it is refused politely and nothing changes', async () => {
    const { user, reference, card } = await fileAndPost('access_with_code');
    const stored = await request(reference);

    await post(app, user.execute('request.claim', { verb: 'request.claim', cardId: 'x', requestId: String(stored.id) }));
    expect(visibleText(connector.sentTo(user.conversationId).slice(-1))).toMatch(/seulement dans le canal des gestionnaires d'accès DMA/);

    const outsider = new TeamsChannelMember(connector.url, 'Quelqu’un', undefined, '19:other-team@thread.tacv2');
    await post(app, outsider.execute(card, 'request.claim'));
    expect(visibleText(connector.sentTo(card.conversationId).slice(-1))).toMatch(/seulement dans le canal des gestionnaires/);

    expect(await request(reference)).toMatchObject({ status: 'submitted', assigneeId: null, version: stored.version });
  });

  test('when « file » is typed in the managers’ channel, then the open requests are listed oldest first with their age and counts per status', async () => {
    clock.advance(2 * MINUTE);
    const before = connector.sentTo(MANAGERS_TEAM_ID).length;
    await post(app, luc.message('file'));
    const queue = lastCard(connector.sentTo(MANAGERS_TEAM_ID).slice(before));
    const text = cardText(queue);
    const open = await app.db.prisma.accessRequest.findMany({ where: { status: { in: ['submitted', 'in_progress', 'code_sent', 'expired'] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const count = (s: string) => open.filter((r) => r.status === s).length;
    expect(text).toContain(`Reçues : ${count('submitted')} · En traitement : ${count('in_progress')} · Code transmis : ${count('code_sent')} · Code expiré : ${count('expired')}`);
    const shown = [...text.matchAll(/DMA-\d{4}-\d{5}/g)].map((m) => m[0]);
    expect(shown).toEqual(open.map((r) => r.reference));
    expect(text).toMatch(/depuis 2 min/);
    // The queue shows the subjects: its reads are in the access log, one row per request shown.
    const reads = await app.db.prisma.accessLogEntry.findMany({ where: { actorId: luc.userId, action: 'queue.viewed' } });
    expect(reads.map((r) => r.requestId).sort()).toEqual(open.map((r) => r.id).sort());
    expect(cardVerbs(queue)).toEqual(['menu.queue']);
    // « Actualiser » (verb menu.queue) shows it again; the same verb from a personal chat is refused.
    await post(app, luc.execute({ conversationId: MANAGERS_TEAM_ID, activityId: 'queue-card', card: queue }, 'menu.queue'));
    expect(cardText(lastCard(connector.sentTo(MANAGERS_TEAM_ID).slice(-1)))).toContain('File des demandes ouvertes');
    const requester = new TeamsUser(connector.url);
    await post(app, requester.submit({ verb: 'menu.queue', cardId: 'x' }));
    expect(visibleText(connector.sentTo(requester.conversationId).slice(-1))).toMatch(/seulement dans le canal des gestionnaires/);
  });

  test('when the requester cancels, then the managers’ card shows it closed, without actions', async () => {
    const { user, reference } = await fileAndPost('access_with_code');
    const stored = await request(reference);
    await post(app, user.submit({ verb: 'request.cancel', cardId: 'list', requestId: String(stored.id) }));
    await deliver();
    const card = await managersCard(reference);
    expect(cardText(card.card)).toContain('Statut : Annulée');
    expect(cardText(card.card)).toContain('Annulée par le demandeur');
    expect(cardVerbs(card.card)).toEqual([]);
  });

  test('when the requester has blocked the bot (403), then the managers’ card says the requester cannot be reached', async () => {
    const { user, reference, card } = await fileAndPost('access_with_code');
    connector.failNext((c) => c.method === 'POST' && c.conversationId === user.conversationId, 403, 1);
    await post(app, luc.execute(card, 'request.claim'));
    await deliver();
    await deliver();
    expect(await request(reference)).toMatchObject({ requesterUnreachable: true });
    expect(cardText((await managersCard(reference)).card)).toMatch(/ne peut pas être joint dans Teams/);
    const failed = await app.db.prisma.outboxMessage.findFirst({ where: { kind: 'requester.notice', status: 'failed', lastError: 'HTTP 403' } });
    expect(failed).not.toBeNull();
  });

  test('when the requester writes in English, then the notices are in English', async () => {
    const user = new TeamsUser(connector.url, undefined, undefined, 'en-CA');
    const { reference, card } = await fileAndPost('access_with_code', user);
    await post(app, luc.execute(card, 'request.claim'));
    await deliver();
    const last = notices(user).slice(-1);
    expect(visibleText(last)).toContain(`Request ${reference}`);
    expect(visibleText(last)).toMatch(/A DMA access manager has taken your request/);
  });

  test('when Teams answers the card post with 429 and Retry-After, then the card is posted once, after the wait', async () => {
    connector.failNext((c) => c.method === 'POST' && c.path === '/v3/conversations', 429, 1, { 'Retry-After': '5' });
    const user = new TeamsUser(connector.url);
    const reference = await fileRequest(app, connector, user, 'access_with_code');
    await deliver();
    expect((await request(reference)).managerCardActivityId).toBeNull();
    const row = await app.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: 'managers.requestCard', status: 'pending' } });
    expect(row.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 5 * SECOND);
    clock.advance(4 * SECOND);
    await deliver();
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(1);
    clock.advance(1 * SECOND);
    await deliver();
    await deliver();
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(2); // the 429, then the one that went through
    expect((await request(reference)).managerCardActivityId).toBeTruthy();
    expect(await app.db.prisma.outboxMessage.count({ where: { kind: 'managers.requestCard', status: { not: 'sent' } } })).toBe(0);
  });

  test('when the app stops after the filing committed and before the card went out, then the next start posts it exactly once', async () => {
    const first = await startTestBot(database.url, env, { clock: clock.now, startTimers: false });
    const user = new TeamsUser(connector.url);
    const reference = await fileRequest(first, connector, user, 'access_without_code');
    await first.stop();
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(0);

    const next = await startTestBot(database.url, env, { clock: clock.now });
    try {
      await connector.waitFor(isCardPostFor(reference));
      await next.outbox.dispatcher.runOnce();
    } finally {
      await next.stop();
    }
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(1);
    expect((await request(reference)).managerCardActivityId).toBeTruthy();
  });

  test('when requests were filed while the managers’ team was not configured, or before cards existed, then the next configured start posts their cards', async () => {
    const unconfigured = await startTestBot(database.url, { OUTBOX_MAX_ATTEMPTS: '1' }, { clock: clock.now, startTimers: false });
    const user = new TeamsUser(connector.url);
    let early: string;
    try {
      early = await fileRequest(unconfigured, connector, user, 'access_with_code');
      await unconfigured.outbox.dispatcher.runOnce();
    } finally {
      await unconfigured.stop();
    }
    const failed = await app.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: 'managers.requestCard', status: 'failed', lastError: 'ManagersTeamNotConfiguredError' } });
    // A request written with no card row at all (as before this feature).
    const legacy = await new RequestRepository(app.db.prisma).file(
      { kind: 'withdrawal', requesterRole: 'supervisor', requesterUserId: '29:legacy', requesterConversationId: 'a:legacy', locale: 'fr-CA', lastName: 'Roy', firstName: 'Luc', email: 'luc.roy@example.org', employeeNumber: '112233', jobTitle: 'Inhalothérapeute', idempotencyKey: `legacy-${Date.now()}` },
      clock.now(),
      formatReference,
    );

    const configured = await startTestBot(database.url, env, { clock: clock.now, startTimers: false });
    try {
      await configured.outbox.dispatcher.runOnce();
    } finally {
      await configured.stop();
    }
    expect(connector.calls.filter(isCardPostFor(early))).toHaveLength(1);
    expect(connector.calls.filter(isCardPostFor(legacy.request.reference))).toHaveLength(1);
    expect((await app.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: failed.id } })).status).toBe('sent');
  });

  test('when ACCESS_MANAGERS_CHANNEL_ID names a channel, then the cards go there instead of General', async () => {
    const channelId = '19:demandes-dma@thread.tacv2';
    const other = await startTestBot(database.url, { ...env, ACCESS_MANAGERS_CHANNEL_ID: channelId }, { clock: clock.now, startTimers: false });
    try {
      const reference = await fileRequest(other, connector, new TeamsUser(connector.url), 'access_with_code');
      await other.outbox.dispatcher.runOnce();
      const postCall = connector.calls.filter(isCardPostFor(reference));
      expect(postCall).toHaveLength(1);
      expect(postCall[0].body.channelData.channel.id).toBe(channelId);
      expect((await request(reference)).managerCardConversationId).toContain(channelId);
    } finally {
      await other.stop();
    }
  });

  test('with a fake clock, when the 3rd and 4th days fall on a weekend, then one reminder goes on Monday in business hours and the code expires at 5 days', async () => {
    clock.set('2026-03-12T14:00:00Z'); // Thursday 10:00 (EDT)
    const { user, reference, card } = await fileAndPost('access_without_code');
    await act(luc, reference, 'request.claim');
    await act(luc, reference, 'request.codeSent');
    const sentAt = clock.now();
    const { reminders, expiredAt } = await runDeadlines(user, reference, sentAt);
    expect(reminders).toEqual(['2026-03-16T12:30:00.000Z']); // Monday 08:30
    expect(expiredAt).toBe(new Date(sentAt.getTime() + 5 * DAY).toISOString());
    const stored = await request(reference);
    expect(stored).toMatchObject({ status: 'expired', remindersSent: 1, nextDueAt: null });
    const expiredEvent = await app.db.prisma.requestEvent.findFirstOrThrow({ where: { requestId: stored.id, action: 'expired' } });
    expect(expiredEvent.at.toISOString()).toBe(stored.codeExpiresAt!.toISOString());
    expect(visibleText(notices(user).slice(-1))).toMatch(/Le code secret est expiré/);

    // The managers' card offers « Nouveau code »; a new code starts a new 5-day deadline.
    const expiredCard = await managersCard(reference);
    expect(cardText(expiredCard.card)).toContain('Statut : Code secret expiré');
    expect(visibleText([{ attachments: [{ content: expiredCard.card }] }])).toContain('Nouveau code');
    expect(cardVerbs(expiredCard.card)).toEqual(['request.codeSent', 'request.reject']);
    await post(app, luc.execute(expiredCard, 'request.codeSent'));
    await deliver();
    expect(await request(reference)).toMatchObject({ status: 'code_sent', remindersSent: 0 });
    expect((await request(reference)).codeExpiresAt!.getTime()).toBe(clock.now().getTime() + 5 * DAY);
    expect(visibleText(notices(user).slice(-1))).toMatch(/Un nouveau code secret a été généré/);
  });

  test('when the requester says the registration is finished, then the card shows it and no reminder or expiry follows', async () => {
    const { user, reference, card } = await fileAndPost('access_without_code');
    await act(luc, reference, 'request.claim');
    await act(luc, reference, 'request.codeSent');
    const notice = lastCard(notices(user).slice(-1));
    const before = connector.sentTo(user.conversationId).length;
    await post(app, user.submit(actionData(notice, 'request.registrationDone')));
    expect(visibleText(connector.sentTo(user.conversationId).slice(before))).toMatch(/Merci! J'ai avisé le gestionnaire d'accès/);
    await deliver();
    expect(cardText((await managersCard(reference)).card)).toMatch(/Le demandeur indique que l'inscription en ligne est terminée/);

    const { reminders, expiredAt } = await runDeadlines(user, reference, clock.now());
    expect(reminders).toEqual([]);
    expect(expiredAt).toBeUndefined();
    expect((await request(reference)).status).toBe('code_sent');

    // Someone else cannot say it for this request.
    const stranger = new TeamsUser(connector.url);
    await post(app, stranger.submit(actionData(notice, 'request.registrationDone')));
    expect(visibleText(connector.sentTo(stranger.conversationId).slice(-1))).toMatch(/Je ne trouve pas/);
  });

  test('when the process is killed while posting the card, then a new instance posts it after the lock expires, and it is stored once', async () => {
    const url = database.url;
    connector.respond((c) => (c.method === 'POST' && c.path === '/v3/conversations' && c.body?.activity?.summary && !childDone ? { status: 200, hang: true } : undefined));
    let childDone = false;
    const bot = await startBotProcess({ DATABASE_URL: url, ACCESS_MANAGERS_TEAM_ID: MANAGERS_TEAM_ID, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    try {
      const user = new TeamsUser(connector.url);
      const reference = await fileRequest(bot, connector, user, 'access_with_code');
      // The child committed the request and its outbox row, and is now waiting for Teams' answer: kill it.
      await connector.waitFor(isCardPostFor(reference));
      await stopBotProcess(bot, 'SIGKILL');
      childDone = true;

      const row = await app.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: 'managers.requestCard', status: 'pending' } });
      expect(row.lockOwner).not.toBeNull();
      clock.set(new Date(row.lockedUntil!.getTime() - SECOND));
      await deliver();
      expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(1);
      clock.set(new Date(row.lockedUntil!.getTime() + SECOND));
      await deliver();
      await deliver();
      expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(2); // the one never answered, and this one
      const stored = await request(reference);
      expect(stored.managerCardActivityId).toBeTruthy();
      expect(await app.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'sent', attempts: 1 });
    } finally {
      await stopBotProcess(bot, 'SIGKILL');
    }
  }, 60_000);

  test('with a fake clock, when the 4th day is Christmas, then no reminder goes on the holiday and the code expires at 5 days', async () => {
    clock.set('2026-12-21T15:00:00Z'); // Monday 10:00 (EST); Friday the 25th is a statutory holiday
    const { user, reference, card } = await fileAndPost('access_without_code');
    await act(luc, reference, 'request.claim');
    await act(luc, reference, 'request.codeSent');
    const sentAt = clock.now();
    const { reminders, expiredAt } = await runDeadlines(user, reference, sentAt);
    expect(reminders).toEqual(['2026-12-24T13:30:00.000Z']); // Thursday 08:30, not Friday the 25th
    expect(expiredAt).toBe('2026-12-26T15:00:00.000Z');
    const reminderText = visibleText(notices(user).filter((n) => visibleText([n]).includes('Rappel')));
    expect(reminderText).toMatch(/votre code secret expire le 26 déc\. 2026/);
  });

  test('when two sweeps race over the same deadlines, then each reminder is sent once', async () => {
    const { user, reference } = await fileAndPost('access_without_code');
    await act(luc, reference, 'request.claim');
    await act(luc, reference, 'request.codeSent');
    // On PostgreSQL the second sweeper is a second instance (its own pool); SQLite is single-writer and
    // embedded (one instance), so there the two sweeps race inside one process.
    const second = mainProvider() === 'postgresql' ? await startTestBot(database.url, env, { clock: clock.now, startTimers: false }) : undefined;
    try {
      const due = (await request(reference)).nextDueAt!;
      clock.set(due);
      const otherSweep = second ? second.managers.sweep.runOnce() : app.managers.service.sweep();
      const results = await Promise.all([app.managers.sweep.runOnce(), otherSweep]);
      expect(results.map((r) => r.reminded).sort()).toEqual([0, 1]);
      await Promise.all([deliver(), second?.outbox.dispatcher.runOnce()]);
      await deliver();
      const reminders = notices(user).filter((n) => visibleText([n]).includes('Rappel'));
      expect(reminders).toHaveLength(1);
      expect((await request(reference)).remindersSent).toBe(1);
    } finally {
      await second?.stop();
    }
  });

  /**
   * Moves the clock in 30-minute steps from `from` to 5 days and 2 hours later, sweeping and delivering at
   * each step, and returns when reminders reached the requester and when the code expired.
   */
  async function runDeadlines(user: TeamsUser, reference: string, from: Date): Promise<{ reminders: string[]; expiredAt?: string }> {
    const reminders: string[] = [];
    let expiredAt: string | undefined;
    for (let t = from.getTime(); t <= from.getTime() + 5 * DAY + 2 * 60 * MINUTE; t += 30 * MINUTE) {
      clock.set(new Date(t));
      const before = notices(user).length;
      await app.managers.sweep.runOnce();
      await deliver();
      for (const n of notices(user).slice(before)) {
        const text = visibleText([n]);
        if (text.includes('Rappel')) reminders.push(clock.now().toISOString());
        if (text.includes('Le code secret est expiré')) expiredAt = clock.now().toISOString();
      }
      if (!expiredAt && (await request(reference)).status === 'expired') expiredAt = clock.now().toISOString();
    }
    return { reminders, expiredAt };
  }
});
