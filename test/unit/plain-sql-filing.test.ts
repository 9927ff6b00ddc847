import type { Db } from '../../data/db';
import { AccessLogRepository } from '../../data/accessLogRepository';
import { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { OutboxRepository, requestOutboxMessage, type RequestOutboxMessage } from '../../data/outboxRepository';
import { RequestRepository, type FilingWrites, type NewRequest } from '../../data/requestRepository';
import { sqlRunnerOf } from '../../data/sql';
import { formatReference } from '../../domain/intake/reference';
import { countingClient, withoutTogether } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const NOW = new Date('2026-03-02T15:04:05.678Z');
const reference = (year: number, n: number) => `DMA-${year}-${String(n).padStart(5, '0')}`;

function input(key: string, overrides: Partial<NewRequest> = {}): NewRequest {
  return {
    kind: 'access_without_code',
    requesterRole: 'manager',
    requesterUserId: '29:requester',
    requesterAadObjectId: null,
    requesterName: 'Dre Test',
    requesterEmail: null,
    requesterConversationId: 'a:conv',
    locale: 'fr-CA',
    lastName: 'Côté',
    firstName: 'Hélène',
    practiceLocation: 'CLSC Limoilou',
    email: 'helene.cote@example.org',
    employeeNumber: '123456',
    jobTitle: 'Infirmière',
    supervisorAuthorized: true,
    authorizedBy: '29:requester',
    idempotencyKey: key,
    ...overrides,
  };
}

describe.each(providersUnderTest())('filing in plain SQL on %s', (provider) => {
  let db: TestDb;
  let sqlRepo: RequestRepository;
  let prismaRepo: RequestRepository;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
    sqlRepo = new RequestRepository(db.prisma);
    prismaRepo = new RequestRepository(db.prisma.$extends({}) as unknown as Db);
  });
  afterAll(async () => db?.dispose());

  test('when a request is filed, then plain SQL and Prisma read back exactly the same record, and its event and outbox row are stored with it', async () => {
    expect(sqlRunnerOf(db.prisma)).toBeDefined();
    const filed = await sqlRepo.file(input('same-record'), NOW, reference, {
      inTransaction: async (tx, request) => {
        await OutboxRepository.enqueue(tx, { kind: 'managers.requestCard', target: { type: 'channel', teamId: '19:t' }, payload: { requestId: request.id }, orderingKey: `request:${request.id}:card` }, NOW);
      },
    });
    expect(filed.created).toBe(true);
    const viaPrisma = await prismaRepo.findById(filed.request.id);
    expect(filed.request).toEqual(viaPrisma);
    expect(await sqlRepo.findById(filed.request.id)).toEqual(viaPrisma);
    expect(await sqlRepo.findByIdempotencyKey('same-record')).toEqual(viaPrisma);
    expect(filed.request).toMatchObject({ status: 'submitted', supervisorAuthorized: true, requesterUnreachable: false, version: 1, createdAt: NOW, codeExpiresAt: null });
    expect(await sqlRepo.events(filed.request.id)).toEqual(await prismaRepo.events(filed.request.id));
    expect(await sqlRepo.events(filed.request.id)).toMatchObject([{ action: 'filed', toStatus: 'submitted', at: NOW }]);
    const rows = await db.prisma.outboxMessage.findMany({ where: { orderingKey: `request:${filed.request.id}:card` } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', nextAttemptAt: NOW, attempts: 0 });
  });

  test('when a request is filed, then its first event is exactly the filing (who, when, no reason), with nulls kept', async () => {
    const named = await sqlRepo.file(input('event-named'), NOW, reference);
    const anonymous = await sqlRepo.file(input('event-anonymous', { requesterName: null, requesterUserId: '29:other' }), NOW, reference);
    for (const [filed, actorId, actorName] of [[named, '29:requester', 'Dre Test'], [anonymous, '29:other', null]] as const) {
      const events = await sqlRepo.events(filed.request.id);
      expect(events).toEqual([
        { id: expect.any(Number), requestId: filed.request.id, action: 'filed', fromStatus: null, toStatus: 'submitted', actorId, actorName, reason: null, at: NOW },
      ]);
      expect(await prismaRepo.events(filed.request.id)).toEqual(events);
    }
  });

  test('when filing, then the counter, the request and its event take one statement on PostgreSQL (three on SQLite), in the transaction', async () => {
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    let inTransaction: string[] = [];
    await new RequestRepository(client).file(input('statements'), NOW, reference, {
      inTransaction: async () => {
        inTransaction = [...calls];
      },
    });
    expect(inTransaction).toEqual(provider === 'postgresql' ? ['transaction', 'query'] : ['transaction', 'query', 'query', 'execute']);
  });

  test('when the yearly number reaches 99999 and beyond, then references are formatted as formatReference formats them (5 digits, then more)', async () => {
    const at = new Date('2031-06-15T12:00:00.000Z');
    await db.prisma.referenceCounter.create({ data: { year: 2031, last: 99_997 } });
    for (const repo of [sqlRepo, prismaRepo]) {
      const prefix = repo === sqlRepo ? 'sql' : 'prisma';
      const filed = [];
      for (let i = 0; i < 3; i++) filed.push(await repo.file(input(`boundary-${prefix}-${i}`), at, formatReference));
      const first = repo === sqlRepo ? 99_998 : 100_001;
      expect(filed.map((f) => f.request.reference)).toEqual([0, 1, 2].map((i) => formatReference(2031, first + i)));
      expect(filed.map((f) => f.created)).toEqual([true, true, true]);
    }
    expect(formatReference(2031, 99_999)).toBe('DMA-2031-99999');
    expect(formatReference(2031, 100_000)).toBe('DMA-2031-100000');
  });

  test('when the reference formatter is not the one the SQL mirrors, then filing fails on PostgreSQL and stores nothing (SQLite uses it)', async () => {
    const other = (year: number, n: number) => `X-${year}-${n}`;
    const before = await sqlRepo.file(input('formatter-before'), NOW, reference);
    if (provider === 'postgresql') {
      await expect(sqlRepo.file(input('formatter-other'), NOW, other)).rejects.toThrow('the reference formatted in SQL differs from formatReference');
      expect(await sqlRepo.findByIdempotencyKey('formatter-other')).toBeNull();
      const after = await sqlRepo.file(input('formatter-after'), NOW, reference);
      expect(Number(after.request.reference.slice(-5))).toBe(Number(before.request.reference.slice(-5)) + 1);
    } else {
      const filed = await sqlRepo.file(input('formatter-other'), NOW, other);
      expect(filed.request.reference).toBe(`X-2026-${Number(before.request.reference.slice(-5)) + 1}`);
    }
  });

  test('when something in the filing transaction fails, then nothing of it is stored and the yearly number is not used up', async () => {
    const before = await sqlRepo.file(input('before-failure'), NOW, reference);
    await expect(
      sqlRepo.file(input('fails'), NOW, reference, {
        inTransaction: async () => {
          throw new Error('outbox unavailable');
        },
      }),
    ).rejects.toThrow('outbox unavailable');
    expect(await sqlRepo.findByIdempotencyKey('fails')).toBeNull();
    const after = await sqlRepo.file(input('after-failure'), NOW, reference);
    const n = (r: string) => Number(r.slice(-5));
    expect(n(after.request.reference)).toBe(n(before.request.reference) + 1);
  });

  test('when the same card is confirmed twice at once, then one request is filed and both answers carry it', async () => {
    const [a, b] = await Promise.all([sqlRepo.file(input('double-tap'), NOW, reference), sqlRepo.file(input('double-tap'), NOW, reference)]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.request.id).toBe(b.request.id);
    expect(await db.prisma.accessRequest.count({ where: { idempotencyKey: 'double-tap' } })).toBe(1);
  });

  test('when the same card is confirmed again later, then the first filing is returned and no yearly number is used up', async () => {
    for (const repo of [sqlRepo, prismaRepo]) {
      const key = `again-${repo === sqlRepo ? 'sql' : 'prisma'}`;
      const first = await repo.file(input(key), NOW, reference);
      const again = await repo.file(input(key, { lastName: 'Autre' }), NOW, reference);
      expect(again).toEqual({ request: first.request, created: false });
      const next = await repo.file(input(`${key}-next`), NOW, reference);
      expect(Number(next.request.reference.slice(-5))).toBe(Number(first.request.reference.slice(-5)) + 1);
      expect(await db.prisma.requestEvent.count({ where: { requestId: first.request.id } })).toBe(1);
    }
  });

  test('when filings run concurrently, then every reference is distinct and consecutive', async () => {
    const filed = await Promise.all(Array.from({ length: 12 }, (_, i) => sqlRepo.file(input(`burst-${i}`), NOW, reference)));
    const numbers = filed.map((f) => Number(f.request.reference.slice(-5))).sort((x, y) => x - y);
    expect(new Set(numbers).size).toBe(12);
    expect(numbers[11]! - numbers[0]!).toBe(11);
  });

  test('when the managers card is attached and the access log appended in plain SQL, then Prisma reads the same values', async () => {
    const { request } = await sqlRepo.file(input('card'), NOW, reference);
    await new ManagerRequestRepository(db.prisma).setManagerCard(request.id, { activityId: 'act-1', conversationId: '19:t;messageid=1' });
    expect(await prismaRepo.findById(request.id)).toMatchObject({ managerCardActivityId: 'act-1', managerCardConversationId: '19:t;messageid=1' });
    await expect(new ManagerRequestRepository(db.prisma).setManagerCard(999_999, { activityId: 'x', conversationId: 'y' })).rejects.toThrow();
    const log = new AccessLogRepository(db.prisma);
    await log.append([
      { actorId: '29:a', actorAadObjectId: null, requestId: request.id, action: 'request.filed', at: NOW },
      { actorId: '29:b', actorAadObjectId: 'aad-b', requestId: request.id, action: 'requests.listed', at: NOW },
    ]);
    expect(await log.forRequest(request.id)).toMatchObject([
      { actorId: '29:a', actorAadObjectId: null, action: 'request.filed', at: NOW },
      { actorId: '29:b', actorAadObjectId: 'aad-b', action: 'requests.listed', at: NOW },
    ]);
  });
});

/**
 * Filing with rows described by the new request's id (the managers' card, the access-log row): one statement on
 * PostgreSQL, where the outbox row's payload and ordering key are built in SQL. Compared with the path they replace:
 * the outbox row enqueued by JavaScript in the filing transaction, the access-log row appended after the filing.
 */
describe.each(providersUnderTest())('filing with its outbox and access-log rows on %s', (provider) => {
  let db: TestDb;
  let sqlRepo: RequestRepository;
  let prismaRepo: RequestRepository;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
    sqlRepo = new RequestRepository(db.prisma);
    prismaRepo = new RequestRepository(db.prisma.$extends({}) as unknown as Db);
  });
  afterAll(async () => db?.dispose());

  const card: RequestOutboxMessage = {
    kind: 'managers.requestCard',
    target: { type: 'channel', teamId: '19:équipe "gestion"@thread.tacv2', channelId: '19:canal@thread.tacv2' },
    idField: 'requestId',
    orderingKey: { prefix: 'request:', suffix: ':card' },
  };
  const notice: RequestOutboxMessage = { kind: 'test.notice', target: { type: 'conversation', conversationId: 'a:conv' }, idField: 'id' };
  const LOGGED = new Date(NOW.getTime() + 3);
  const log = { actorId: '29:requester', actorAadObjectId: 'aad-1', action: 'request.filed', at: LOGGED };
  const writes: FilingWrites = { outbox: [card, notice], accessLog: log };

  /** The old path: the outbox rows enqueued in the filing transaction, the access-log row appended once it committed. */
  async function fileTheOldWay(repo: RequestRepository, key: string) {
    const filed = await repo.file(input(key), NOW, formatReference, {
      inTransaction: async (tx, request) => {
        for (const m of [card, notice]) await OutboxRepository.enqueue(tx, requestOutboxMessage(m, request.id), NOW);
      },
    });
    await new AccessLogRepository(db.prisma).append([{ ...log, requestId: filed.request.id }]);
    return filed;
  }

  /** What was stored with a request, its id replaced by `ID`, as stored (JSON as text). */
  async function storedWith(requestId: number) {
    const id = String(requestId);
    const outbox = await db.prisma.outboxMessage.findMany({ where: { OR: [{ orderingKey: `request:${id}:card` }, { kind: 'test.notice', payload: `{"id":${id}}` }] }, orderBy: { id: 'asc' } });
    const logged = await db.prisma.accessLogEntry.findMany({ where: { requestId }, orderBy: { id: 'asc' } });
    return {
      outbox: outbox.map(({ id: _id, ...row }) => ({ ...row, payload: row.payload.replace(id, 'ID'), orderingKey: row.orderingKey?.replace(id, 'ID') ?? null })),
      logged: logged.map(({ id: _id, requestId: _request, ...row }) => row),
      events: (await db.prisma.requestEvent.findMany({ where: { requestId } })).map(({ id: _id, requestId: _request, ...row }) => row),
    };
  }

  test('when a request is filed with rows described by its id, then they are stored exactly as the JavaScript path stores them', async () => {
    for (const repo of [sqlRepo, prismaRepo]) {
      const which = repo === sqlRepo ? 'sql' : 'prisma';
      const now = await repo.file(input(`rows-${which}`), NOW, formatReference, writes);
      const before = await fileTheOldWay(repo, `rows-old-${which}`);
      expect(now.created).toBe(true);
      const stored = await storedWith(now.request.id);
      expect(stored).toEqual(await storedWith(before.request.id));
      expect(stored.outbox).toMatchObject([
        { kind: 'managers.requestCard', payload: '{"requestId":ID}', orderingKey: 'request:ID:card', target: '{"type":"channel","teamId":"19:équipe \\"gestion\\"@thread.tacv2","channelId":"19:canal@thread.tacv2"}', status: 'pending', attempts: 0, dedupeKey: null, nextAttemptAt: NOW, createdAt: NOW, updatedAt: NOW },
        { kind: 'test.notice', payload: '{"id":ID}', orderingKey: null },
      ]);
      expect(stored.logged).toEqual([{ actorId: '29:requester', actorAadObjectId: 'aad-1', action: 'request.filed', at: LOGGED }]);
      // As the dispatcher and the access log read them.
      const [row] = await new OutboxRepository(db.prisma).list({ orderingKey: `request:${now.request.id}:card` });
      expect(row).toMatchObject({ payload: { requestId: now.request.id }, target: card.target });
      expect(await new AccessLogRepository(db.prisma).forRequest(now.request.id)).toMatchObject([{ ...log, requestId: now.request.id }]);
    }
  });

  test('when a request is filed with rows described by its id, then PostgreSQL gets one statement and no transaction; SQLite one transaction', async () => {
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    await new RequestRepository(client).file(input('rows-statements'), NOW, formatReference, writes);
    expect(calls).toEqual(provider === 'postgresql' ? ['query'] : ['transaction', 'query', 'query', 'execute', 'query', 'query', 'execute']);
  });

  test('when the same card is confirmed again, then no second outbox or access-log row is written and no yearly number is used up', async () => {
    for (const repo of [sqlRepo, prismaRepo]) {
      const key = `rows-again-${repo === sqlRepo ? 'sql' : 'prisma'}`;
      const first = await repo.file(input(key), NOW, formatReference, writes);
      const again = await repo.file(input(key, { lastName: 'Autre' }), NOW, formatReference, writes);
      expect(again).toEqual({ request: first.request, created: false });
      expect((await storedWith(first.request.id)).outbox).toHaveLength(2);
      expect((await storedWith(first.request.id)).logged).toHaveLength(1);
      const next = await repo.file(input(`${key}-next`), NOW, formatReference, writes);
      expect(Number(next.request.reference.slice(-5))).toBe(Number(first.request.reference.slice(-5)) + 1);
    }
  });

  test.each(['sql', 'prisma'] as const)('when the access-log row cannot be written, then nothing of the filing is stored and the yearly number is not used up (%s)', async (which) => {
    {
      const repo = which === 'sql' ? sqlRepo : prismaRepo;
      const key = `rows-unlogged-${which}`;
      const before = await repo.file(input(`${key}-before`), NOW, formatReference, writes);
      const broken = { ...writes, accessLog: { ...log, actorId: null as unknown as string } };
      const rows = async () => [await db.prisma.accessRequest.count(), await db.prisma.requestEvent.count(), await db.prisma.outboxMessage.count(), await db.prisma.accessLogEntry.count()];
      const stored = await rows();
      // By its message: better-sqlite3's SqliteError may come from another test file's realm (jest loads the native
      // module once per worker), where toThrow does not see it as an Error.
      await expect(repo.file(input(key), NOW, formatReference, broken)).rejects.toHaveProperty('message', expect.stringMatching(/null|actor/i));
      expect(await sqlRepo.findByIdempotencyKey(key)).toBeNull();
      expect(await rows()).toEqual(stored);
      const after = await repo.file(input(`${key}-after`), NOW, formatReference, writes);
      expect(Number(after.request.reference.slice(-5))).toBe(Number(before.request.reference.slice(-5)) + 1);
    }
  });

  test('when the reference formatter is not the one the SQL mirrors, then filing with rows fails and stores nothing, rows included', async () => {
    const other = (year: number, n: number) => `DMA-${year}-${String(n).padStart(6, '0')}`;
    const outboxBefore = await db.prisma.outboxMessage.count();
    const logBefore = await db.prisma.accessLogEntry.count();
    if (provider === 'postgresql') {
      await expect(sqlRepo.file(input('rows-formatter'), NOW, other, writes)).rejects.toThrow('the reference formatted in SQL differs from formatReference');
      expect(await sqlRepo.findByIdempotencyKey('rows-formatter')).toBeNull();
      expect(await db.prisma.outboxMessage.count()).toBe(outboxBefore);
      expect(await db.prisma.accessLogEntry.count()).toBe(logBefore);
    } else {
      expect((await sqlRepo.file(input('rows-formatter'), NOW, other, writes)).request.reference).toMatch(/^DMA-2026-0\d{5}$/);
    }
  });

  /** Filings of confirmations that arrive together, each with its own access-log row (another actor, another time). */
  const together = (keys: string[]) =>
    keys.map((key, i) => ({ key, log: { ...log, actorId: `29:actor-${key}`, at: new Date(LOGGED.getTime() + i) } }));

  test('when confirmations arrive together, then PostgreSQL files them in one statement, each with its own rows, with consecutive numbers in their order', async () => {
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const repo = new RequestRepository(client);
    const filings = together(Array.from({ length: 7 }, (_, i) => `batch-${i}`));
    const filed = await Promise.all(filings.map(({ key, log: own }) => repo.file(input(key), NOW, formatReference, { ...writes, accessLog: own })));
    if (provider === 'postgresql') expect(calls).toEqual(['query']);
    else expect(calls.filter((call) => call === 'transaction')).toHaveLength(7);
    const numbers = filed.map((f) => Number(f.request.reference.slice(-5)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(filed.map((f) => f.request.id)).toEqual([...filed.map((f) => f.request.id)].sort((a, b) => a - b));
    for (const [i, f] of filed.entries()) {
      expect(f.created).toBe(true);
      expect(f.request.idempotencyKey).toBe(filings[i]!.key);
      expect(f.request.reference).toBe(formatReference(NOW.getUTCFullYear(), numbers[i]!));
      expect(await prismaRepo.findById(f.request.id)).toEqual(f.request);
      const stored = await storedWith(f.request.id);
      expect(stored.outbox).toMatchObject([
        { kind: 'managers.requestCard', payload: '{"requestId":ID}', orderingKey: 'request:ID:card', nextAttemptAt: NOW, createdAt: NOW },
        { kind: 'test.notice', payload: '{"id":ID}', orderingKey: null },
      ]);
      expect(stored.logged).toEqual([{ actorId: filings[i]!.log.actorId, actorAadObjectId: 'aad-1', action: 'request.filed', at: filings[i]!.log.at }]);
      expect(stored.events).toEqual([{ action: 'filed', fromStatus: null, toStatus: 'submitted', actorId: '29:requester', actorName: 'Dre Test', reason: null, at: NOW }]);
    }
  });

  test('when confirmations arriving together include a card already filed, then that one gets its first filing, the others are filed, and no number is skipped', async () => {
    const first = await sqlRepo.file(input('batch-again'), NOW, formatReference, writes);
    const keys = ['batch-again-a', 'batch-again', 'batch-again-b'];
    const filed = await Promise.all(keys.map((key) => sqlRepo.file(input(key, { lastName: 'Autre' }), NOW, formatReference, writes)));
    expect(filed[1]).toEqual({ request: first.request, created: false });
    expect([filed[0]!.created, filed[2]!.created]).toEqual([true, true]);
    const numbers = [first, filed[0]!, filed[2]!].map((f) => Number(f.request.reference.slice(-5))).sort((a, b) => a - b);
    expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
    expect((await storedWith(first.request.id)).outbox).toHaveLength(2);
    expect((await storedWith(first.request.id)).logged).toHaveLength(1);
  });

  test('when confirmations arriving together include one whose rows are refused, then only that one fails and nothing of it is stored', async () => {
    const keys = ['batch-bad-a', 'batch-bad', 'batch-bad-b'];
    const outcomes = await Promise.allSettled(
      keys.map((key) =>
        sqlRepo.file(input(key), NOW, formatReference, { ...writes, accessLog: key === 'batch-bad' ? { ...log, actorId: null as unknown as string } : log }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await sqlRepo.findByIdempotencyKey('batch-bad')).toBeNull();
    const [a, b] = [outcomes[0], outcomes[2]].map((o) => (o as PromiseFulfilledResult<{ request: { id: number; reference: string } }>).value.request);
    expect(Number(b!.reference.slice(-5)) - Number(a!.reference.slice(-5))).toBe(1);
    expect((await storedWith(a!.id)).logged).toHaveLength(1);
    expect((await storedWith(b!.id)).logged).toHaveLength(1);
  });

  test('when filings with different rows or formatters arrive together, then each is filed with its own rows, or refused for its formatter', async () => {
    const other = (year: number, n: number) => `DMA-${year}-${String(n).padStart(6, '0')}`;
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const repo = new RequestRepository(client);
    const [withRows, bare, withOther, alsoWithRows] = await Promise.allSettled([
      repo.file(input('mixed-rows'), NOW, formatReference, writes),
      repo.file(input('mixed-bare'), NOW, formatReference, {}),
      repo.file(input('mixed-other'), NOW, other, writes),
      repo.file(input('mixed-rows-too'), NOW, formatReference, writes),
    ]);
    // PostgreSQL: the two alike in one statement, each of the others in its own; none sent together and run again.
    if (provider === 'postgresql') expect(calls).toEqual(['query', 'query', 'query']);
    expect(alsoWithRows.status).toBe('fulfilled');
    const filedWithRows = (withRows as PromiseFulfilledResult<{ request: { id: number } }>).value.request;
    const filedBare = (bare as PromiseFulfilledResult<{ request: { id: number } }>).value.request;
    expect((await storedWith(filedWithRows.id)).outbox).toHaveLength(2);
    expect((await storedWith(filedWithRows.id)).logged).toHaveLength(1);
    expect(await storedWith(filedBare.id)).toMatchObject({ outbox: [], logged: [] });
    if (provider === 'postgresql') {
      expect(withOther.status).toBe('rejected');
      expect(await sqlRepo.findByIdempotencyKey('mixed-other')).toBeNull();
    } else {
      expect(withOther.status).toBe('fulfilled');
    }
  });
});

describe.each(providersUnderTest())('a request with its events in plain SQL on %s', (provider) => {
  let db: TestDb;
  let sqlRepo: RequestRepository;
  let prismaRepo: RequestRepository;
  /** Where the runner cannot group statements (two queries). */
  let twoQueriesRepo: RequestRepository;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
    sqlRepo = new RequestRepository(db.prisma);
    prismaRepo = new RequestRepository(db.prisma.$extends({}) as unknown as Db);
    twoQueriesRepo = new RequestRepository(countingClient(db.prisma, withoutTogether(sqlRunnerOf(db.prisma)!)).client);
  });
  afterAll(async () => db?.dispose());

  const at = (ms: number) => new Date(NOW.getTime() + ms);
  const event = (requestId: number, action: string, when: Date, extra: { fromStatus?: string | null; actorName?: string | null; reason?: string | null } = {}) =>
    db.prisma.requestEvent.create({ data: { requestId, action, fromStatus: null, toStatus: null, actorId: '29:someone', actorName: null, reason: null, ...extra, at: when } });

  test('when a request has several events, some at the same time, then they come with it ordered by time then id, exactly as findById and events read them', async () => {
    const { request } = await sqlRepo.file(input('with-events', { requesterName: null, practiceLocation: null, supervisorAuthorized: null }), NOW, reference);
    const same = at(2_005);
    const late = await event(request.id, 'rejected', same, { fromStatus: 'in_progress', actorName: 'Luc Gagnon', reason: 'Doublon « é » "quoted" \\ ' });
    const claimed = await event(request.id, 'claimed', at(1), { fromStatus: 'submitted', actorName: 'Luc Gagnon' });
    const sameTime = await event(request.id, 'note', same);
    const earliest = await event(request.id, 'imported', at(-1));
    const filed = (await prismaRepo.events(request.id)).find((e) => e.action === 'filed')!;
    const expected = { request: await sqlRepo.findById(request.id), events: await sqlRepo.events(request.id) };
    expect(expected.events.map((e) => e.id)).toEqual([earliest.id, filed.id, claimed.id, late.id, sameTime.id]);
    expect(expected.events.map((e) => e.at)).toEqual([at(-1), NOW, at(1), same, same]);
    for (const repo of [sqlRepo, twoQueriesRepo, prismaRepo]) {
      expect(await repo.findWithEvents(request.id)).toEqual(expected);
    }
    expect(await prismaRepo.findWithEvents(request.id)).toEqual({ request: await prismaRepo.findById(request.id), events: await prismaRepo.events(request.id) });
    expect(expected.request).toMatchObject({ requesterName: null, practiceLocation: null, supervisorAuthorized: null, codeExpiresAt: null });
    expect(expected.events[0]).toMatchObject({ fromStatus: null, toStatus: null, actorName: null, reason: null });
  });

  test('when a request has no events, then it comes with an empty list; a missing request is null', async () => {
    const bare = await db.prisma.accessRequest.create({
      data: { ...input('no-events'), reference: 'DMA-2026-90001', status: 'submitted', createdAt: NOW, updatedAt: NOW, codeExpiresAt: at(86_400_000) },
    });
    for (const repo of [sqlRepo, twoQueriesRepo, prismaRepo]) {
      expect(await repo.findWithEvents(bare.id)).toEqual({ request: bare, events: [] });
      expect(await repo.findWithEvents(999_999)).toBeNull();
    }
  });

  test('when a request is read with its events, then PostgreSQL gets one statement and SQLite one group-commit entry', async () => {
    const { request } = await sqlRepo.file(input('one-statement'), NOW, reference);
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    expect(await new RequestRepository(client).findWithEvents(request.id)).toMatchObject({ request: { id: request.id }, events: [{ action: 'filed' }] });
    expect(calls).toEqual([provider === 'postgresql' ? 'query' : 'together']);
  });

  test('when several requests are read at once (cards being delivered), then each caller gets its own, a missing one is null, and PostgreSQL gets one statement', async () => {
    const filed = [];
    for (const name of ['at-once-1', 'at-once-2', 'at-once-3']) filed.push((await sqlRepo.file(input(name), NOW, reference)).request);
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const repo = new RequestRepository(client);
    const ids = [filed[2]!.id, 999_998, filed[0]!.id, filed[1]!.id, filed[0]!.id];
    const found = await Promise.all(ids.map((id) => repo.findWithEvents(id)));
    expect(found.map((f) => f?.request.id ?? null)).toEqual([filed[2]!.id, null, filed[0]!.id, filed[1]!.id, filed[0]!.id]);
    for (const [i, f] of found.entries()) {
      if (f) expect(f).toEqual(await sqlRepo.findWithEvents(ids[i]!));
    }
    if (provider === 'postgresql') expect(calls).toEqual(['query']);
  });
});
