import { DialogHarness, lastCard, visibleText } from '../helpers/dialogHarness';

const AGENTS_TEAM = '19:agents-dialog@thread.tacv2';
const AGENTS = { HELPDESK_AGENTS_TEAM_ID: AGENTS_TEAM };
/** Monday 2 March 2026, 10:00 in Québec: RAMQ lines open until noon. */
const MONDAY_MORNING = new Date('2026-03-02T15:00:00Z');
/** Saturday 7 March 2026, 10:00 in Québec: closed until Monday 8:30. */
const SATURDAY = new Date('2026-03-07T15:00:00Z');

async function sessions(h: DialogHarness) {
  return h.db.prisma.handoffSession.findMany({ where: { userConversationId: h.conversationId }, orderBy: { id: 'asc' } });
}

async function transcript(h: DialogHarness, sessionId: number) {
  return h.db.prisma.handoffMessage.findMany({ where: { sessionId }, orderBy: { id: 'asc' } });
}

/** [locale, what the user types, what the bot answers] when asking for a person, French first. */
const ASKING: [string, string, RegExp][] = [
  ['fr-CA', 'je veux parler à une personne', /j'ai demandé à une personne du soutien de prendre le relais/],
  ['fr-CA', 'est-ce que je peux parler à un agent?', /j'ai demandé à une personne du soutien/],
  ['en-CA', 'talk to a human', /I've asked someone from the help desk to take over/],
];

describe.each(ASKING)('asking for a person (%s)', (locale, text, expected) => {
  test(`when the user types « ${text} », then the handoff starts, the help desk hours are given and an agents' card is queued`, async () => {
    const h = await DialogHarness.create({ locale, env: AGENTS, now: () => MONDAY_MORNING });
    try {
      await h.say(locale.startsWith('fr') ? 'Bonjour' : 'Hello');
      const replies = await h.say(text);
      const said = visibleText(replies);
      expect(said).toMatch(expected);
      expect(said).toMatch(locale.startsWith('fr') ? /ouvert en ce moment \(jusqu'à 12 h/ : /open right now \(until 12:00/);
      expect(said).toMatch(locale.startsWith('fr') ? /« annuler »/ : /“cancel”/);
      const [session] = await sessions(h);
      expect(session).toMatchObject({ status: 'waiting', userId: h.userId, teamId: AGENTS_TEAM, lang: locale.slice(0, 2), version: 1 });
      const rows = await h.db.prisma.outboxMessage.findMany({ where: { kind: 'handoff.card' } });
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0].payload)).toEqual({ sessionId: session.id, op: 'post' });
      expect(JSON.parse(rows[0].target)).toEqual({ type: 'channel', teamId: AGENTS_TEAM });
    } finally {
      await h.dispose();
    }
  });
});

describe('the handoff from the user’s side', () => {
  let h: DialogHarness;
  let now: Date;
  beforeEach(async () => {
    now = MONDAY_MORNING;
    h = await DialogHarness.create({ locale: 'fr-CA', env: AGENTS, now: () => now });
    await h.say('Bonjour');
  });
  afterEach(async () => h.dispose());

  test('when the help desk is closed, then the user is told when it reopens and that the request stays in the queue', async () => {
    now = SATURDAY;
    const said = visibleText(await h.submit({ verb: 'menu.agent', cardId: 'menu' }));
    expect(said).toMatch(/fermé en ce moment; il rouvre le lundi 9 mars à 8 h 30/);
    expect(said).toMatch(/reste dans la file/);
  });

  test('when the bot failed to understand twice, then the agent is offered first and, once asked, the agents see what the user wrote', async () => {
    await h.say('quelle est la meilleure poutine en ville');
    const second = await h.say('le chat de ma voisine est orange');
    expect((lastCard(second).actions ?? []).map((a: any) => a.data?.verb)[0]).toBe('menu.agent');
    // Offered, not started: nobody is paged for a misunderstanding.
    expect(await sessions(h)).toHaveLength(0);
    await h.submit({ verb: 'menu.agent', cardId: 'x' });
    const [session] = await sessions(h);
    const context = await transcript(h, session.id);
    expect(context.map((m) => [m.direction, m.text, m.beforeHandoff])).toEqual([
      ['user', 'quelle est la meilleure poutine en ville', true],
      ['user', 'le chat de ma voisine est orange', true],
    ]);
  });

  test('when the user writes while waiting, then no dialog runs: the message is kept for the agent and the card is refreshed', async () => {
    await h.say('je veux parler à quelqu’un');
    const replies = await h.say('quelles sont les heures de la RAMQ?');
    expect(replies).toHaveLength(0);
    const [session] = await sessions(h);
    expect((await transcript(h, session.id)).map((m) => m.text)).toContain('quelles sont les heures de la RAMQ?');
    const updates = await h.db.prisma.outboxMessage.findMany({ where: { kind: 'handoff.card' }, orderBy: { id: 'asc' } });
    expect(updates.map((u) => JSON.parse(u.payload).op)).toEqual(['post', 'update']);
  });

  test('when the user types a password while waiting, then it is neither stored nor relayed and the user is warned', async () => {
    await h.say('je veux parler à une personne');
    const replies = await h.say('mon mot de passe est Soleil2024!');
    expect(visibleText(replies)).toMatch(/Je n'ai pas transmis ce message/);
    const [session] = await sessions(h);
    const entries = await transcript(h, session.id);
    expect(entries[entries.length - 1]).toMatchObject({ withheld: true, text: null });
    const everything = JSON.stringify([
      await h.db.prisma.handoffMessage.findMany(),
      await h.db.prisma.outboxMessage.findMany(),
      await h.db.prisma.botStateItem.findMany(),
    ]);
    expect(everything).not.toContain('Soleil2024');
  });

  test('when the user types « annuler » while waiting, then the session is cancelled, the menu comes back and the bot answers again', async () => {
    await h.say('je veux parler à une personne');
    const replies = await h.say('annuler');
    expect(visibleText(replies)).toMatch(/vous avez quitté la file/);
    expect(JSON.stringify(lastCard(replies))).toMatch(/menu\.access/);
    const [session] = await sessions(h);
    expect(session).toMatchObject({ status: 'cancelled', endedBy: 'user', version: 2 });
    const answer = await h.say('quelles sont les heures de la RAMQ?');
    expect(visibleText(answer)).toMatch(/418 780-4208/);
  });

  test('when the user asks for a person twice, then one session is open and they are told they are already in the queue', async () => {
    await h.submit({ verb: 'menu.agent', cardId: 'a' });
    const replies = await h.submit({ verb: 'menu.agent', cardId: 'b' });
    expect(visibleText(replies)).toMatch(/déjà dans la file/);
    expect(await sessions(h)).toHaveLength(1);
  });

  test('when the user taps another menu button while waiting, then no flow starts and they are told how to come back', async () => {
    await h.submit({ verb: 'menu.agent', cardId: 'a' });
    const replies = await h.submit({ verb: 'menu.access', cardId: 'b' });
    expect(visibleText(replies)).toMatch(/Vous êtes dans la file du soutien/);
    expect(lastCard(replies)).toBeUndefined();
  });

  test('when a user forges an agent’s « Prendre » from their own chat, then nothing is taken', async () => {
    await h.submit({ verb: 'menu.agent', cardId: 'a' });
    const [session] = await sessions(h);
    await h.execute('handoff.accept', { sessionId: session.id, version: 1 });
    expect((await sessions(h))[0]).toMatchObject({ status: 'waiting', agentId: null });
  });
});

describe('without an agents’ team', () => {
  test('when the user asks for a person, then the bot gives the phone lines and opens no session', async () => {
    const h = await DialogHarness.create({ locale: 'fr-CA' });
    try {
      await h.say('Bonjour');
      const replies = await h.say('je veux parler à une personne');
      expect(visibleText(replies)).toMatch(/418 821-1743/);
      expect(await sessions(h)).toHaveLength(0);
    } finally {
      await h.dispose();
    }
  });
});

describe('the relay looks a handoff up only for conversations that may have one', () => {
  test('when a conversation was never handed off, then no turn queries the handoffs; once handed off, the relay takes its messages until the session ends', async () => {
    const { HandoffService } = await import('../../domain/handoff/handoffService');
    const lookups = jest.spyOn(HandoffService.prototype, 'openFor');
    const h = await DialogHarness.create({ locale: 'fr-CA', env: AGENTS, now: () => MONDAY_MORNING });
    try {
      await h.say('Bonjour');
      await h.say('quelles sont les heures du soutien technique de la RAMQ?');
      await h.submit({ verb: 'menu.requests', cardId: 'menu' });
      expect(lookups).not.toHaveBeenCalled();

      await h.say('je veux parler à une personne');
      const [session] = await sessions(h);
      expect(session.status).toBe('waiting');
      await h.say('Je n’ai jamais reçu le courriel de la RAMQ');
      expect(lookups).toHaveBeenCalledTimes(1);
      expect((await transcript(h, session.id)).map((m) => m.text)).toContain('Je n’ai jamais reçu le courriel de la RAMQ');

      // The agents' side ends it (another instance, say): the next message finds no session and the bot answers again.
      await h.db.prisma.handoffSession.update({ where: { id: session.id }, data: { status: 'ended', endedAt: MONDAY_MORNING } });
      const said = visibleText(await h.say('quelles sont les heures du soutien technique de la RAMQ?'));
      expect(lookups).toHaveBeenCalledTimes(2);
      expect(said).toMatch(/418 643-8210|418-643-8210/);
      await h.say('merci');
      expect(lookups).toHaveBeenCalledTimes(2);
    } finally {
      lookups.mockRestore();
      await h.dispose();
    }
  });
});
