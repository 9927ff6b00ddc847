import { RequestRepository, type NewRequest } from '../../data/requestRepository';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

function newRequest(n: number, requesterUserId = `29:user-${n}`): NewRequest {
  return {
    kind: n % 2 ? 'access_without_code' : 'access_with_code',
    requesterRole: 'physician',
    requesterUserId,
    requesterConversationId: `a:conv-${n}`,
    locale: 'fr-CA',
    lastName: 'Tremblay',
    firstName: 'Marie',
    practiceLocation: 'CHU de Québec',
    email: `marie.${n}@example.org`,
    idempotencyKey: `card-${n}`,
  };
}

const day = (d: number) => new Date(Date.UTC(2026, 0, d, 12));

for (const provider of providersUnderTest()) {
  describe(`RequestRepository queue queries on ${provider}`, () => {
    let db: Db;
    let repo: RequestRepository;
    const ids: number[] = [];

    beforeAll(async () => {
      db = await createTestDatabase(provider);
      repo = new RequestRepository(db.prisma);
      // Filed on days 1..8, in an order that is not the id order.
      for (const [n, d] of [[1, 5], [2, 1], [3, 7], [4, 2], [5, 8], [6, 3], [7, 4], [8, 6]] as const) {
        const { request } = await repo.file(newRequest(n, n <= 3 ? '29:same-requester' : undefined), day(d), (y, k) => `DMA-${y}-${String(k).padStart(5, '0')}`);
        ids[n] = request.id;
      }
      const move = async (n: number, status: string, extra: Record<string, unknown> = {}) => {
        const current = (await repo.findById(ids[n]!))!;
        await repo.update(current.id, current.version, { status, ...extra }, { action: status, toStatus: status, actorId: 'manager' }, day(10));
      };
      await move(2, 'in_progress');
      await move(4, 'completed', { closedAt: day(10) });
      await move(6, 'code_sent', { codeExpiresAt: day(9) });
      await move(7, 'code_sent', { codeExpiresAt: day(12) });
      await move(8, 'cancelled', { closedAt: day(10) });
    });
    afterAll(async () => {
      await db?.dispose();
    });

    test('when the managers list the queue, then open requests of every open status come oldest first and closed ones are left out', async () => {
      const open = await repo.listOpen(50);
      expect(open.map((r) => r.id)).toEqual([ids[2], ids[6], ids[7], ids[1], ids[3], ids[5]]);
      expect(open.map((r) => r.status)).toEqual(['in_progress', 'code_sent', 'code_sent', 'submitted', 'submitted', 'submitted']);
    });

    test('when the queue is longer than the limit, then only the oldest open requests are returned', async () => {
      expect((await repo.listOpen(2)).map((r) => r.id)).toEqual([ids[2], ids[6]]);
    });

    test('when the managers count the queue, then every open status has its count, zero included', async () => {
      expect(await repo.countByStatus()).toEqual({ submitted: 3, in_progress: 1, code_sent: 2 });
      expect(await repo.countByStatus(['completed', 'rejected'])).toEqual({ completed: 1, rejected: 0 });
    });

    test('when the reminder sweep looks for codes due by a date, then only sent codes expiring by then come, soonest first', async () => {
      expect((await repo.listCodeSentDueBy(day(9))).map((r) => r.id)).toEqual([ids[6]]);
      expect((await repo.listCodeSentDueBy(day(30))).map((r) => r.id)).toEqual([ids[6], ids[7]]);
      expect(await repo.listCodeSentDueBy(day(8))).toEqual([]);
    });

    test('when a requester lists their requests, then only theirs come, newest first', async () => {
      expect((await repo.listByRequester('29:same-requester')).map((r) => r.id)).toEqual([ids[3], ids[1], ids[2]]);
    });
  });
}
