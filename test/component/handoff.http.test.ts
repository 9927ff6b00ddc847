import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { FakeClock, MINUTE } from '../helpers/clock';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { actionData } from '../helpers/dialogHarness';
import { FakeConnector, type ConnectorCall } from '../helpers/fakeConnector';
import { botAddedToTeam, TeamsAgent } from '../helpers/agents';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

/**
 * The agents' relay end to end: real server, real database, the fake Bot Connector playing Teams for both the
 * users' chats and the agents' channel. Timers are off: each test delivers the outbox and runs the sweep by
 * hand, with a fake clock (Monday 2 March 2026, 10:00 in Québec).
 */
describe(`help-desk handoff over HTTP through the fake Bot Connector (${mainProvider()})`, () => {
  const TEAM = `19:agents-${Date.now().toString(36)}@thread.tacv2`;
  const ENV = { HELPDESK_AGENTS_TEAM_ID: TEAM, HANDOFF_WAIT_MINUTES: '10' };
  const clock = new FakeClock('2026-03-02T15:00:00Z');
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, ENV, { clock: clock.now, startTimers: false });
    await send(botAddedToTeam(connector.url, TEAM));
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });

  async function send(activity: unknown, target: RunningApp = app) {
    const res = await postActivity(target.port, activity);
    expect(res.status).toBe(200);
    return res;
  }

  /** Runs the outbox until nothing is due. */
  async function deliverAll(target: RunningApp = app): Promise<void> {
    for (let i = 0; i < 30; i++) {
      const run = await target.outbox.dispatcher.runOnce();
      if (run.sent + run.retried + run.failed === 0) return;
    }
    throw new Error('the outbox did not settle');
  }

  async function sessionOf(user: TeamsUser) {
    return (await app.db.prisma.handoffSession.findFirst({ where: { userConversationId: user.conversationId }, orderBy: { id: 'desc' } }))!;
  }

  const isCardOf = (id: number) => (c: ConnectorCall) => JSON.stringify(c.body ?? {}).includes(`"sessionId":${id},`);
  /** The agents' card as first posted (a new conversation in the agents' channel). */
  const cardPost = (id: number) => connector.calls.find((c) => c.method === 'POST' && c.path === '/v3/conversations' && isCardOf(id)(c));
  /** Every in-place update of a session's card. */
  const cardUpdates = (id: number) => connector.calls.filter((c) => c.method === 'PUT' && isCardOf(id)(c));
  /** Messages posted in a thread (relays and notices), as plain texts. */
  const threadTexts = (threadId: string) => connector.sentTo(threadId).map((a) => a.text as string);
  const userTexts = (user: TeamsUser) => connector.sentTo(user.conversationId).map((a) => visibleText([a]));

  /** A user who asked for a person, with the agents' card posted. */
  async function waitingUser(name = 'Dre Test', firstWords: string[] = []) {
    const user = new TeamsUser(connector.url, undefined, undefined, 'fr-CA', name);
    await send(user.message('Bonjour'));
    for (const words of firstWords) await send(user.message(words));
    await send(user.message('je veux parler à une personne'));
    await deliverAll();
    return { user, session: await sessionOf(user) };
  }

  /** What the agent's « Prendre » sends: the data of the card's own action. */
  function acceptActivity(agent: TeamsAgent, session: { id: number; cardConversationId: string | null; cardActivityId: string | null }) {
    const card = cardPost(session.id)!.body.activity.attachments[0].content;
    return agent.execute(session.cardConversationId!, session.cardActivityId!, 'handoff.accept', actionData(card, 'handoff.accept'));
  }

  async function takenBy(agent: TeamsAgent, name = 'Dre Test') {
    const { user, session } = await waitingUser(name);
    await send(acceptActivity(agent, session));
    await deliverAll();
    return { user, session: await sessionOf(user) };
  }

  test('when a user asks for a person, then the agents’ card is posted in the agents’ channel as a new thread with who, since when, language and « Prendre »', async () => {
    const { user, session } = await waitingUser('Dre Sophie Gagnon', ['mon compte RAMQ est verrouillé, mon courriel est sophie@example.org']);
    expect(userTexts(user).join('\n')).toMatch(/j'ai demandé à une personne du soutien.*\n\nLe soutien est ouvert en ce moment \(jusqu'à 12 h/s);

    const post = cardPost(session.id)!;
    expect(post.body.channelData.channel.id).toBe(TEAM);
    expect(post.body.isGroup).toBe(true);
    const card = post.body.activity.attachments[0].content;
    const text = visibleText([post.body.activity]);
    const facts = Object.fromEntries(card.body.find((b: any) => b.type === 'FactSet').facts.map((f: any) => [f.title, f.value]));
    expect(facts).toMatchObject({ Utilisateur: 'Dre Sophie Gagnon', Demandée: "aujourd'hui à 10 h", Langue: 'Français', Sujet: 'Problème technique RAMQ (418 643-8210)' });
    expect(text).toContain("« mon compte RAMQ est verrouillé, mon courriel est […@…] »");
    expect(text).toContain('[…@…]');
    expect(text).not.toContain('sophie@example.org');
    expect(actionData(card, 'handoff.accept')).toMatchObject({ sessionId: session.id, version: 1 });
    expect(actionData(card, 'handoff.transcript')).toMatchObject({ sessionId: session.id });
    // Where the card lives is stored: agents' replies in its thread find the session by it.
    expect(session.cardConversationId).toMatch(new RegExp(`^${TEAM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};messageid=`));
    expect(session.cardActivityId).toBeTruthy();
  });

  test('when an agent takes the conversation, then the user is told with the agent’s first name, the card is updated in place and the queued messages reach the thread', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await waitingUser('Dre Test');
    await send(user.message('je ne reçois pas le courriel de la RAMQ'));
    await deliverAll();
    const before = cardUpdates(session.id).length;

    await send(acceptActivity(marie, session));
    await deliverAll();

    expect(userTexts(user).pop()).toMatch(/^Marie, du soutien, a pris votre conversation/);
    const updates = cardUpdates(session.id);
    expect(updates.length).toBeGreaterThan(before);
    const last = updates[updates.length - 1];
    expect(last.conversationId).toBe(session.cardConversationId);
    expect(last.activityId).toBe(session.cardActivityId);
    expect(visibleText([last.body])).toContain('Prise en charge par Marie Tremblay');
    expect(JSON.stringify(last.body)).toContain('handoff.end');
    expect(JSON.stringify(last.body)).not.toContain('handoff.accept');
    const thread = threadTexts(session.cardConversationId!);
    expect(thread.join('\n')).toMatch(/Marie Tremblay a pris la conversation.*Messages écrits avant la prise en charge :\n- je veux parler à une personne\n- je ne reçois pas le courriel de la RAMQ/s);
    expect((await sessionOf(user))).toMatchObject({ status: 'active', agentId: marie.userId, agentName: 'Marie Tremblay', version: 2 });
  });

  test('when the user and the agent write, then each message is relayed to the other side’s conversation and the bot runs no dialog', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    const thread = session.cardConversationId!;
    const userBefore = connector.sentTo(user.conversationId).length;

    await send(user.message('quelles sont les heures de la RAMQ?'));
    await deliverAll();
    // Relayed into the card's thread, not answered by the bot.
    const toThread = connector.calls.filter((c) => c.method === 'POST' && c.conversationId === thread).pop()!;
    expect(toThread.path).toBe(`/v3/conversations/${encodeURIComponent(thread)}/activities`);
    expect(toThread.body).toMatchObject({ type: 'message', text: 'Dre Test : quelles sont les heures de la RAMQ?', textFormat: 'plain' });
    expect(connector.sentTo(user.conversationId)).toHaveLength(userBefore);

    await send(marie.reply(thread, 'Bonjour! Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h à 16 h 30.'));
    await deliverAll();
    const toUser = connector.calls.filter((c) => c.method === 'POST' && c.conversationId === user.conversationId).pop()!;
    expect(toUser.path).toBe(`/v3/conversations/${encodeURIComponent(user.conversationId)}/activities`);
    expect(toUser.body).toMatchObject({ type: 'message', text: 'Marie (soutien) : Bonjour! Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h à 16 h 30.', textFormat: 'plain' });

    const transcript = await app.db.prisma.handoffMessage.findMany({ where: { sessionId: session.id, beforeHandoff: false }, orderBy: { id: 'asc' } });
    expect(transcript.map((m) => [m.direction, m.authorName, m.text])).toEqual([
      ['user', null, 'quelles sont les heures de la RAMQ?'],
      ['agent', 'Marie', 'Bonjour! Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h à 16 h 30.'],
    ]);
  });

  test('when an agent’s reply in the thread @mentions the bot, then it is relayed without the mention', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    await send(marie.replyMentioningBot(session.cardConversationId!, 'Pouvez-vous me donner votre lieu de pratique?'));
    await deliverAll();
    const last = connector.sentTo(user.conversationId).pop();
    expect(last.text).toBe('Marie (soutien) : Pouvez-vous me donner votre lieu de pratique?');
    expect(last.text).not.toMatch(/Assistant DMA|<at>/);
  });

  test('when the agent ends with « /fin », then the user is told, gets the menu and the bot answers again', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    await send(marie.reply(session.cardConversationId!, '/fin'));
    await deliverAll();

    const ended = connector.sentTo(user.conversationId).pop();
    expect(ended.text).toMatch(/^Marie a terminé la conversation\. Vous êtes de retour avec l'assistant/);
    expect(JSON.stringify(ended.attachments)).toContain('menu.access');
    expect(visibleText([cardUpdates(session.id).pop()!.body])).toContain('Terminée par Marie Tremblay');
    expect(threadTexts(session.cardConversationId!).pop()).toBe("Marie Tremblay a rendu la conversation à l'assistant.");
    expect(await sessionOf(user)).toMatchObject({ status: 'ended', endedBy: 'agent' });

    const before = connector.sentTo(user.conversationId).length;
    await send(user.message('quelles sont les heures de la RAMQ?'));
    expect(visibleText(connector.sentTo(user.conversationId).slice(before))).toMatch(/418 780-4208/);
    // And the thread stays quiet: the agent's later messages are not relayed.
    await send(marie.reply(session.cardConversationId!, 'encore là?'));
    await deliverAll();
    expect(threadTexts(session.cardConversationId!).pop()).toMatch(/Cette conversation est terminée/);
  });

  test('when the agent clicks « Terminer » on the card, then the conversation goes back to the bot', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    const card = cardUpdates(session.id).pop()!.body.attachments[0].content;
    await send(marie.execute(session.cardConversationId!, session.cardActivityId!, 'handoff.end', actionData(card, 'handoff.end')));
    await deliverAll();
    expect(connector.sentTo(user.conversationId).pop().text).toMatch(/Marie a terminé la conversation/);
    expect(await sessionOf(user)).toMatchObject({ status: 'ended', endedBy: 'agent', endedByName: 'Marie Tremblay' });
  });

  test('when the user types « terminer », then the agent’s thread is told and the user is back with the bot', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    const before = connector.sentTo(user.conversationId).length;
    await send(user.message('terminer'));
    await deliverAll();
    expect(visibleText(connector.sentTo(user.conversationId).slice(before))).toMatch(/Conversation terminée\. Vous êtes de retour avec l'assistant/);
    expect(threadTexts(session.cardConversationId!).pop()).toMatch(/^Dre Test a terminé la conversation/);
    expect(visibleText([cardUpdates(session.id).pop()!.body])).toContain("Terminée par l'utilisateur");
  });

  test('when the bot restarts during a handoff, then relaying goes on in both directions from the database', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const first = await startTestBot(database.url, ENV, { clock: clock.now, startTimers: false });
    const user = new TeamsUser(connector.url);
    await send(user.message('Bonjour'), first);
    await send(user.message('je veux parler à une personne'), first);
    await deliverAll(first);
    let session = await sessionOf(user);
    await send(acceptActivity(marie, session), first);
    // The instance stops with the acceptance still in the outbox.
    await first.stop();

    const second = await startTestBot(database.url, ENV, { clock: clock.now, startTimers: false });
    try {
      await deliverAll(second);
      expect(connector.sentTo(user.conversationId).pop().text).toMatch(/^Marie, du soutien, a pris/);
      session = await sessionOf(user);
      await send(marie.reply(session.cardConversationId!, 'Je suis là, que se passe-t-il?'), second);
      await send(user.message("je n'ai jamais reçu le courriel de la RAMQ"), second);
      await deliverAll(second);
      expect(connector.sentTo(user.conversationId).pop().text).toBe('Marie (soutien) : Je suis là, que se passe-t-il?');
      expect(threadTexts(session.cardConversationId!).pop()).toBe("Dre Test : je n'ai jamais reçu le courriel de la RAMQ");
    } finally {
      await second.stop();
    }
  });

  test('when two agents click « Prendre » at once, then exactly one takes it and the other is told who has it', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const luc = new TeamsAgent(connector.url, TEAM, 'Luc Roy');
    const { user, session } = await waitingUser();
    await Promise.all([send(acceptActivity(marie, session)), send(acceptActivity(luc, session))]);
    await deliverAll();

    const stored = await sessionOf(user);
    expect(stored.status).toBe('active');
    expect(stored.version).toBe(2);
    const winner = stored.agentId === marie.userId ? marie : luc;
    expect([marie.userId, luc.userId]).toContain(stored.agentId);
    const thread = threadTexts(session.cardConversationId!);
    expect(thread.filter((t) => /a pris la conversation/.test(t))).toHaveLength(1);
    expect(thread).toContain(`Cette conversation est déjà prise par ${winner.name}.`);
    expect(userTexts(user).filter((t) => /a pris votre conversation/.test(t))).toEqual([`${winner.name.split(' ')[0]}, du soutien, a pris votre conversation. Écrivez-lui ici; pour revenir à l'assistant, écrivez « terminer ».`]);
  });

  test('when nobody takes the conversation for the configured wait, then the user gets the number for their topic once and stays in the queue', async () => {
    const technical = await waitingUser('Dre Test', ['mon compte RAMQ est verrouillé depuis mon inscription']);
    const registration = await waitingUser('Dr Autre', ['mon code secret est expiré, je fais quoi?']);
    expect(technical.session.lastRoute).toBe('support.ramq_technical');
    expect(registration.session.lastRoute).toBe('support.registration');

    clock.advance(9 * MINUTE);
    expect(await app.handoff.sweeper.runOnce()).toBe(0);
    clock.advance(1 * MINUTE);
    // Two instances sweep at once: each user is told once.
    const other = await startTestBot(database.url, ENV, { clock: clock.now, startTimers: false });
    try {
      const told = await Promise.all([app.handoff.sweeper.runOnce(), other.handoff.sweeper.runOnce()]);
      // Each due session (these two and any left waiting by earlier tests) was marked by exactly one instance.
      const marked = await app.db.prisma.handoffSession.count({ where: { waitNotifiedAt: clock.now() } });
      expect(marked).toBeGreaterThanOrEqual(2);
      expect(told[0] + told[1]).toBe(marked);
    } finally {
      await other.stop();
    }
    await deliverAll();
    const tech = userTexts(technical.user).filter((t) => /Désolé, personne du soutien/.test(t));
    expect(tech).toHaveLength(1);
    expect(tech[0]).toMatch(/soutien technique de la RAMQ au 418 643-8210\. Les lignes de la RAMQ sont ouvertes jusqu'à 12 h\./);
    expect(tech[0]).toMatch(/Vous restez dans la file/);
    const reg = userTexts(registration.user).filter((t) => /Désolé, personne du soutien/.test(t));
    expect(reg).toHaveLength(1);
    expect(reg[0]).toMatch(/ligne d'inscription au Registre des DMA au 418 821-1743/);
    expect(await sessionOf(technical.user)).toMatchObject({ status: 'waiting' });
    expect(visibleText([cardUpdates(technical.session.id).pop()!.body])).toMatch(/après 10 min/);

    clock.advance(30 * MINUTE);
    await app.handoff.sweeper.runOnce();
    await deliverAll();
    expect(userTexts(technical.user).filter((t) => /Désolé, personne du soutien/.test(t))).toHaveLength(1);
  });

  test('when one agent holds several conversations, then each reply reaches the user of its own thread', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const a = await takenBy(marie, 'Dre Alpha');
    const b = await takenBy(marie, 'Dr Bravo');
    expect(a.session.cardConversationId).not.toBe(b.session.cardConversationId);
    await send(marie.reply(b.session.cardConversationId!, 'Réponse pour Bravo'));
    await send(marie.reply(a.session.cardConversationId!, 'Réponse pour Alpha'));
    await send(a.user.message('merci'));
    await deliverAll();
    expect(connector.sentTo(a.user.conversationId).pop().text).toBe('Marie (soutien) : Réponse pour Alpha');
    expect(connector.sentTo(b.user.conversationId).pop().text).toBe('Marie (soutien) : Réponse pour Bravo');
    expect(threadTexts(a.session.cardConversationId!).pop()).toBe('Dre Alpha : merci');
    expect(threadTexts(b.session.cardConversationId!)).not.toContain('Dre Alpha : merci');
  });

  test('when the user leaves the queue before anyone takes it, then the card says so and « Prendre » no longer works', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await waitingUser();
    await send(user.message('annuler'));
    await deliverAll();
    const last = cardUpdates(session.id).pop()!.body;
    expect(visibleText([last])).toContain("Annulée : l'utilisateur a quitté la file");
    expect(JSON.stringify(last)).not.toContain('handoff.accept');
    await send(acceptActivity(marie, session));
    expect(threadTexts(session.cardConversationId!).pop()).toMatch(/Cette conversation est terminée/);
    expect(await sessionOf(user)).toMatchObject({ status: 'cancelled', agentId: null });
  });

  test('when an agent writes in the thread before taking the conversation, then nothing reaches the user and the agent is told to take it first', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await waitingUser();
    const before = connector.sentTo(user.conversationId).length;
    await send(marie.reply(session.cardConversationId!, 'allo?'));
    await deliverAll();
    expect(connector.sentTo(user.conversationId)).toHaveLength(before);
    expect(threadTexts(session.cardConversationId!).pop()).toMatch(/cliquez sur « Prendre »/);
  });

  test('when an agent writes something that looks like a secret code, then it is not relayed and the agent is told to give it by phone', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    const before = connector.sentTo(user.conversationId).length;
    await send(marie.reply(session.cardConversationId!, 'Votre code secret : Qx7bT2wZ'));
    await deliverAll();
    expect(connector.sentTo(user.conversationId)).toHaveLength(before);
    expect(threadTexts(session.cardConversationId!).pop()).toMatch(/Message non transmis.*par téléphone/);
    expect(JSON.stringify(await app.db.prisma.handoffMessage.findMany({ where: { sessionId: session.id } }))).not.toContain('Qx7bT2wZ');
  });

  test('when an access manager asks for the transcripts from a request’s card, then the requester’s handoffs are shown', async () => {
    const MANAGERS = `19:managers-${Date.now().toString(36)}@thread.tacv2`;
    const withManagers = await startTestBot(database.url, { ...ENV, ACCESS_MANAGERS_TEAM_ID: MANAGERS }, { clock: clock.now, startTimers: false });
    try {
      const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
      const { user, session } = await takenBy(marie);
      await send(user.message("c'est pour le retrait d'accès de ma collègue"));
      await deliverAll();
      let replies = connector.sentTo(user.conversationId).length;
      await send(user.message('terminer'));
      await send(user.submit({ verb: 'menu.withdraw', cardId: 'menu' }));
      const form = connector.sentTo(user.conversationId).slice(replies).pop().attachments[0].content;
      replies = connector.sentTo(user.conversationId).length;
      await send(user.submit({ ...actionData(form, 'withdraw.submit'), lastName: 'Gagnon', firstName: 'Julie', employeeNumber: '998877', jobTitle: 'Travailleuse sociale', email: 'julie.gagnon@example.org' }));
      const summary = connector.sentTo(user.conversationId).slice(replies).pop().attachments[0].content;
      await send(user.submit(actionData(summary, 'intake.confirm')));
      const request = (await app.db.prisma.accessRequest.findFirst({ where: { requesterUserId: user.userId } }))!;

      const manager = new TeamsAgent(connector.url, MANAGERS, 'Anne Gestionnaire');
      const managersThread = `${MANAGERS};messageid=42`;
      await send(manager.execute(managersThread, '42', 'handoff.transcript', { requestId: request.id }), withManagers);
      const shown = visibleText([connector.sentTo(managersThread).pop()]);
      expect(shown).toContain('Transcription : conversation avec Dre Test');
      expect(shown).toContain("c'est pour le retrait d'accès de ma collègue");
      // The managers may read transcripts, not take conversations.
      await send(manager.execute(managersThread, '42', 'handoff.accept', { sessionId: session.id, version: 1 }), withManagers);
      expect((await sessionOf(user)).agentId).toBe(marie.userId);
    } finally {
      await withManagers.stop();
    }
  });

  test('when « Voir la transcription » is clicked, then the stored transcript is shown in the thread, without the withheld secret', async () => {
    const marie = new TeamsAgent(connector.url, TEAM, 'Marie Tremblay');
    const { user, session } = await takenBy(marie);
    await send(user.message('mon code secret est ihv2T7sD'));
    await send(marie.reply(session.cardConversationId!, "Ne l'écrivez jamais ici, je vous appelle."));
    await deliverAll();
    expect(connector.sentTo(user.conversationId).some((a) => /Je n'ai pas transmis ce message/.test(a.text ?? ''))).toBe(true);
    expect(threadTexts(session.cardConversationId!).join('\n')).not.toContain('ihv2T7sD');

    await send(marie.execute(session.cardConversationId!, session.cardActivityId!, 'handoff.transcript', { sessionId: session.id }));
    const shown = connector.sentTo(session.cardConversationId!).pop();
    const text = visibleText([shown]);
    expect(text).toContain('Transcription : conversation avec Dre Test');
    expect(text).toContain("Ne l'écrivez jamais ici, je vous appelle.");
    expect(text).toContain('[message retenu');
    expect(JSON.stringify(await app.db.prisma.handoffMessage.findMany())).not.toContain('ihv2T7sD');
  });
});
