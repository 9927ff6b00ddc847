import { HandoffRepository, StaleHandoffError } from '../../data/handoffRepository';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

const NOW = new Date('2026-03-02T15:00:00Z');

describe.each(providersUnderTest())('handoff repository on %s', (provider) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let repo: HandoffRepository;
  let seq = 0;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
    repo = new HandoffRepository(db.prisma);
  });
  afterAll(async () => db.dispose());

  const input = () => ({ userId: `29:u-${++seq}`, userConversationId: `a:c-${seq}`, userName: 'Dre Test', lang: 'fr', teamId: '19:team@thread.tacv2' });

  test('when the same conversation asks for a person twice at once, then one session is open and both calls return it', async () => {
    const i = input();
    const [a, b] = await Promise.all([repo.open(i, [], NOW), repo.open(i, [], NOW)]);
    expect(a.session.id).toBe(b.session.id);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect(await db.prisma.handoffSession.count({ where: { userConversationId: i.userConversationId } })).toBe(1);
  });

  test('when a session is closed, then the same conversation can open a new one', async () => {
    const i = input();
    const first = (await repo.open(i, [], NOW)).session;
    await repo.transition(first.id, first.version, ['waiting'], { status: 'cancelled', endedBy: 'user', endedAt: NOW }, NOW);
    const second = await repo.open(i, [], NOW);
    expect(second.created).toBe(true);
    expect(second.session.id).not.toBe(first.id);
  });

  test('when two agents take the same version at once, then exactly one change applies and the other sees who has it', async () => {
    const { session } = await repo.open(input(), [], NOW);
    const take = (agent: string) =>
      repo.transition(session.id, session.version, ['waiting'], { status: 'active', agentId: agent, agentName: agent, acceptedAt: NOW }, NOW).then(
        (s) => ({ ok: true as const, s }),
        (err) => ({ ok: false as const, err }),
      );
    const results = await Promise.all([take('Marie'), take('Luc')]);
    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = (lost[0] as { err: unknown }).err;
    expect(error).toBeInstanceOf(StaleHandoffError);
    const winner = (won[0] as { s: { agentName: string | null } }).s.agentName;
    expect((error as StaleHandoffError).current).toMatchObject({ status: 'active', agentName: winner, version: session.version + 1 });
  });

  test('when the long wait is marked twice, then only the first mark applies', async () => {
    const { session } = await repo.open(input(), [], NOW);
    expect(await repo.dueForWaitNotice(NOW, 100)).toEqual(expect.arrayContaining([expect.objectContaining({ id: session.id })]));
    expect(await Promise.all([repo.markWaitNotified(session.id, NOW), repo.markWaitNotified(session.id, NOW)])).toEqual(expect.arrayContaining([true, false]));
    expect((await repo.dueForWaitNotice(NOW, 100)).map((s) => s.id)).not.toContain(session.id);
  });

  test('when an agent replies in a thread, then the session is found by the thread id, or by the root message id in the same team', async () => {
    const { session } = await repo.open(input(), [], NOW);
    await repo.setCard(session.id, { activityId: '1712345678901', conversationId: '19:team@thread.tacv2;messageid=1712345678901' }, NOW);
    expect((await repo.findByThread('19:team@thread.tacv2', '19:team@thread.tacv2;messageid=1712345678901'))?.id).toBe(session.id);
    expect((await repo.findByThread('19:team@thread.tacv2', '19:other-channel@thread.tacv2;messageid=1712345678901'))?.id).toBe(session.id);
    expect(await repo.findByThread('19:another-team@thread.tacv2', '19:x@thread.tacv2;messageid=1712345678901')).toBeNull();
    expect(await repo.findByThread('19:team@thread.tacv2', '19:team@thread.tacv2;messageid=999')).toBeNull();
  });

  test('when the transcript is read, then entries come oldest first and `last` keeps the newest', async () => {
    const { session } = await repo.open(input(), [{ direction: 'user', text: 'avant', beforeHandoff: true }], NOW);
    for (const text of ['un', 'deux', 'trois']) await repo.append(session, { direction: 'user', text }, NOW);
    await repo.append(session, { direction: 'agent', authorName: 'Marie', text: 'réponse' }, NOW);
    expect((await repo.messages(session.id)).map((m) => m.text)).toEqual(['avant', 'un', 'deux', 'trois', 'réponse']);
    expect((await repo.messages(session.id, { last: 2, direction: 'user' })).map((m) => m.text)).toEqual(['deux', 'trois']);
  });
});
