import type { Activity } from 'botbuilder';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { MANAGER_CARD_KIND, ManagersTeamNotConfiguredError, registerManagerHandlers, type ManagerCardPayload } from '../../bot/managers/managerNotifications';
import { OutboxSignal, type DeliveryResult, type OutboxDispatcher, type OutboxHandler } from '../../bot/services/outboxDispatcher';
import type { ProactiveSender } from '../../bot/services/proactive';
import { managerRequestCard } from '../../cards/managerRequest';
import { cardAttachment } from '../../cards/render';
import { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { OutboxRepository, type OutboxRecord } from '../../data/outboxRepository';
import { managerCardWrite, RequestRepository } from '../../data/requestRepository';
import { sqlRunnerOf } from '../../data/sql';
import { resolveLang, translator } from '../../domain/i18n';
import { formatReference } from '../../domain/intake/reference';
import { countingClient } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

const NOW = new Date('2026-03-02T15:04:05.678Z');

/** The managers' card handler as the dispatcher would call it, on a real database and a recording sender. */
describe.each(providersUnderTest())('delivery of the managers card on %s', (provider) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let n = 0;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
  });
  afterAll(async () => db?.dispose());

  function handler(env: Record<string, string>, prisma = db.prisma) {
    const config = loadConfig({ DEFAULT_LOCALE: 'fr-CA', ...env });
    const handlers = new Map<string, OutboxHandler<any>>();
    const dispatcher = { register: (kind: string, h: OutboxHandler<any>) => handlers.set(kind, h) } as unknown as OutboxDispatcher;
    const sent: Partial<Activity>[] = [];
    const proactive = {
      send: async (_target: unknown, activity: Partial<Activity>) => {
        sent.push(activity);
        return { activityId: `act-${sent.length}`, conversationId: `19:team;messageid=${sent.length}` };
      },
      update: async () => {
        throw new Error('not expected');
      },
    } as unknown as ProactiveSender;
    registerManagerHandlers(dispatcher, {
      config,
      logger: createLogger('silent'),
      proactive,
      requests: new RequestRepository(prisma),
      queries: new ManagerRequestRepository(prisma),
      outbox: new OutboxRepository(prisma),
      signal: new OutboxSignal(),
      clock: () => NOW,
    });
    const deliver = (requestId: number) => handlers.get(MANAGER_CARD_KIND)!.deliver({ payload: { requestId } } as OutboxRecord<ManagerCardPayload>);
    return { deliver, sent };
  }

  async function file() {
    const repo = new RequestRepository(db.prisma);
    const { request } = await repo.file(
      { kind: 'access_without_code', requesterRole: 'physician', requesterUserId: `29:req-${++n}`, requesterName: 'Dre Test', requesterConversationId: `a:conv-${n}`, locale: 'fr-CA', lastName: 'Tremblay', firstName: 'Marie', email: 'm@example.org', idempotencyKey: `card-${n}` },
      NOW,
      formatReference,
    );
    return request;
  }

  test('when the card is delivered, then it shows the request and its history as read apart, read in one statement on PostgreSQL', async () => {
    const request = await file();
    await db.prisma.requestEvent.create({ data: { requestId: request.id, action: 'claimed', fromStatus: 'submitted', toStatus: 'in_progress', actorId: '29:luc', actorName: 'Luc Gagnon', at: NOW } });
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const { deliver, sent } = handler({ ACCESS_MANAGERS_TEAM_ID: '19:team' }, client);
    const posted = { activityId: 'act-1', conversationId: '19:team;messageid=1' };
    const { alsoWrite, ...result } = (await deliver(request.id)) as DeliveryResult;
    expect(result).toEqual(posted);
    expect({ ...alsoWrite, viaPrisma: undefined }).toEqual({ ...managerCardWrite(request.id, posted), viaPrisma: undefined });
    // The read only: the card's activity is stored on the request with the row's mark as sent (the dispatcher's).
    expect(calls).toEqual([provider === 'postgresql' ? 'query' : 'together']);
    const repo = new RequestRepository(db.prisma);
    const lang = resolveLang('fr-CA');
    const expected = managerRequestCard(translator(lang), lang, (await repo.findById(request.id))!, await repo.events(request.id));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ summary: request.reference, attachments: [cardAttachment(expected)] });
    expect(JSON.stringify(expected)).toContain('Luc Gagnon');
  });

  test('when the request is gone, then no card is sent and the row is done', async () => {
    const { deliver, sent } = handler({ ACCESS_MANAGERS_TEAM_ID: '19:team' });
    expect(await deliver(999_999)).toBeUndefined();
    expect(sent).toEqual([]);
  });

  test('when no managers team is configured, then the card waits (ManagersTeamNotConfiguredError) and nothing is sent', async () => {
    const request = await file();
    const { deliver, sent } = handler({});
    await expect(deliver(request.id)).rejects.toBeInstanceOf(ManagersTeamNotConfiguredError);
    expect(sent).toEqual([]);
  });
});
