import { DatabaseStorage } from '../../bot/services/databaseStorage';
import { createLogger } from '../../bot/logger';
import { ProcessedActivityRepository } from '../../data/processedActivityRepository';
import { RequestRepository } from '../../data/requestRepository';
import { RetentionRepository } from '../../data/retentionRepository';
import { RetentionPolicy } from '../../domain/privacy/retention';
import { RequestService, type Actor } from '../../domain/requests/requestService';
import type { IntakeValues, WithdrawalValues } from '../../domain/intake/fields';
import { startTestBot } from '../helpers/bot';
import { createTestDatabase, createTestDatabaseUrl, providersUnderTest } from '../helpers/database';
import { dumpDatabase, logSink, personalDataIn } from '../helpers/privacy';

const DAY = 24 * 60 * 60 * 1000;

/** A settable clock. */
function fakeClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), set: (d: Date) => (now = d.getTime()), advance: (ms: number) => (now += ms) };
}

/** One subject per request, each value unique so that any leftover is found in a dump of the whole database. */
function person(tag: string) {
  return {
    lastName: `Nom${tag}`,
    firstName: `Prénom${tag}`,
    email: `personne.${tag.toLowerCase()}@example.org`,
    employeeNumber: `E${tag}98765`,
    jobTitle: `Titre ${tag}`,
    practiceLocation: `Lieu ${tag}`,
    ramqUserCode: `ramq${tag}77`,
  };
}

for (const provider of providersUnderTest()) {
  describe(`Retention (${provider})`, () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    const t0 = new Date();
    const clock = fakeClock(t0);
    let service: RequestService;
    let repo: RequestRepository;
    let policy: RetentionPolicy;
    const requester: Actor = { userId: '29:requester', aadObjectId: 'aad-requester', name: 'Dre Requérante Exemple', email: 'requerante@example.org' };
    const subjects = { cancelled: person('Annule'), completed: person('Complete'), rejected: person('Rejete'), expired: person('Expire'), open: person('Ouvert'), recent: person('Recent') };
    const ids: Record<string, number> = {};

    async function file(tag: keyof typeof subjects, kind: 'access_with_code' | 'access_without_code' | 'withdrawal'): Promise<number> {
      const p = subjects[tag];
      const values = (kind === 'withdrawal'
        ? { lastName: p.lastName, firstName: p.firstName, employeeNumber: p.employeeNumber, jobTitle: p.jobTitle, email: p.email }
        : { ...p, supervisorAuthorized: true }) as unknown as IntakeValues & WithdrawalValues;
      const { request } = await service.fileRequest({
        kind,
        role: kind === 'withdrawal' ? 'supervisor' : 'manager',
        values,
        requester,
        conversationId: 'a:conv-requester',
        locale: 'fr-CA',
        idempotencyKey: `card-${tag}`,
      });
      return request.id;
    }

    /** What a manager's closing action does (the managers' workflow is another feature): status, reason, assignee. */
    async function close(id: number, status: string, reason: string | null) {
      const current = (await repo.findById(id))!;
      await repo.update(
        id,
        current.version,
        { status, closedAt: clock.now(), assigneeId: '29:gestionnaire', assigneeName: 'Lucie Gestionnaire-Roy', rejectionReason: status === 'rejected' ? reason : null },
        { action: status, fromStatus: current.status, toStatus: status, actorId: '29:gestionnaire', actorName: 'Lucie Gestionnaire-Roy', reason },
        clock.now(),
      );
    }

    beforeAll(async () => {
      db = await createTestDatabase(provider);
      repo = new RequestRepository(db.prisma);
      service = new RequestService(repo, clock.now);
      policy = new RetentionPolicy(new RetentionRepository(db.prisma), { retentionDays: 365, idleConversationDays: 30 }, clock.now);

      ids.cancelled = await file('cancelled', 'access_with_code');
      await service.cancelByRequester(requester, ids.cancelled);
      ids.completed = await file('completed', 'access_without_code');
      await close(ids.completed, 'completed', `code transmis par téléphone à ${subjects.completed.firstName}`);
      ids.rejected = await file('rejected', 'withdrawal');
      await close(ids.rejected, 'rejected', `${subjects.rejected.firstName} ${subjects.rejected.lastName} n'est pas dans notre établissement`);
      ids.expired = await file('expired', 'access_without_code');
      await close(ids.expired, 'expired', null);
      ids.open = await file('open', 'access_with_code');
      clock.advance(300 * DAY);
      ids.recent = await file('recent', 'access_with_code');
      await close(ids.recent, 'completed', null);
      clock.set(t0);

      // Bot state as the bot writes it (now): an abandoned intake's values, and a language choice.
      const storage = new DatabaseStorage(db.prisma);
      await storage.write({
        'msteams/conversations/a:conv-abandoned/': { dialogState: { dialogStack: [{ id: 'intake', state: { values: { lastName: 'Abandon-Nom', email: 'abandon@example.org' } } }] } },
        'msteams/users/29:requester/': { profile: { lang: 'en' } },
      });
      await new ProcessedActivityRepository(db.prisma).claim('msteams|a:conv-requester|act-1', t0);
      await db.prisma.rateLimitCounter.create({ data: { key: 'user:abc', points: 3, expire: new Date(t0.getTime() + 60_000) } });
    });
    afterAll(async () => db.dispose());

    test('when less than the retention period has passed since closing, then nothing is erased, and only stale duplicate keys and rate windows go', async () => {
      clock.set(new Date(t0.getTime() + 2 * DAY));
      const report = await policy.sweep();
      expect(report).toEqual({ erasedRequests: 0, purgedProcessedActivities: 1, purgedConversationStates: 0, purgedUserStates: 0, purgedRateLimits: 1, erasedTranscriptMessages: 0, purgedSentNotifications: 0 });
      expect((await repo.findById(ids.cancelled))!.lastName).toBe(subjects.cancelled.lastName);
    });

    test('when a conversation has been idle for IDLE_CONVERSATION_DAYS, then its state goes; the user’s language choice stays', async () => {
      clock.set(new Date(Date.now() + 31 * DAY));
      const report = await policy.sweep();
      expect(report).toMatchObject({ erasedRequests: 0, purgedConversationStates: 1, purgedUserStates: 0 });
      const left = await db.prisma.botStateItem.findMany();
      expect(left.map((i) => i.key)).toEqual(['msteams/users/29:requester/']);
    });

    test('when RETENTION_DAYS have passed since closing, then closed requests lose every personal field and keep reference, kind, status and dates', async () => {
      const before = (await repo.findById(ids.completed))!;
      clock.set(new Date(t0.getTime() + 366 * DAY));
      const report = await policy.sweep();
      expect(report.erasedRequests).toBe(4);
      expect(report.purgedUserStates).toBe(1);

      const erased = (await repo.findById(ids.completed))!;
      expect(erased).toMatchObject({
        reference: before.reference,
        kind: 'access_without_code',
        status: 'completed',
        requesterRole: 'manager',
        createdAt: before.createdAt,
        closedAt: before.closedAt,
        erasedAt: clock.now(),
        lastName: null,
        firstName: null,
        email: null,
        employeeNumber: null,
        jobTitle: null,
        practiceLocation: null,
        ramqUserCode: null,
        requesterName: null,
        requesterEmail: null,
        requesterAadObjectId: null,
        requesterUserId: '',
        assigneeName: null,
        rejectionReason: null,
        version: before.version + 1,
      });
      const events = await repo.events(ids.completed);
      expect(events.map((e) => e.action)).toEqual(['filed', 'completed']);
      expect(events.every((e) => e.reason === null && e.actorName === null)).toBe(true);
      // The requester's id is gone from the history; the manager who acted stays accountable.
      expect(events.map((e) => e.actorId)).toEqual(['', '29:gestionnaire']);

      // The open request and the one closed 300 days later are untouched.
      expect((await repo.findById(ids.open))!.lastName).toBe(subjects.open.lastName);
      expect((await repo.findById(ids.recent))!.lastName).toBe(subjects.recent.lastName);
      // A second sweep finds nothing more to do.
      expect((await policy.sweep()).erasedRequests).toBe(0);
    });

    test('when every closed request has passed its retention period, then nothing personal remains anywhere in the database but the open request', async () => {
      clock.set(new Date(t0.getTime() + 700 * DAY));
      await policy.sweep();
      const dump = Object.values(await dumpDatabase(db)).join('\n');
      const closedValues = [subjects.cancelled, subjects.completed, subjects.rejected, subjects.expired, subjects.recent].flatMap((p) => Object.values(p));
      const otherPersonal = [requester.name!, requester.email!, 'Lucie Gestionnaire-Roy', 'Abandon-Nom', 'abandon@example.org'];
      // Only the open request's values (and its requester) remain: take them out of the dump before looking.
      let rest = dump;
      for (const v of [...Object.values(subjects.open), requester.name!, requester.email!]) rest = rest.split(v).join('');
      expect(personalDataIn(rest, [...closedValues, ...otherPersonal])).toEqual([]);
      expect(dump).toContain(subjects.open.email);
    });
  });
}

describe('Retention schedule in the running app', () => {
  test('when the app starts with closed requests past retention, then the first sweep erases them, and stop() stops the schedule', async () => {
    const target = await createTestDatabaseUrl();
    const t0 = new Date();
    const seed = await startTestBot(target.url, {}, { clock: () => t0 });
    const service = new RequestService(new RequestRepository(seed.db.prisma), () => t0);
    const { request } = await service.fileRequest({
      kind: 'withdrawal',
      role: 'supervisor',
      values: { lastName: 'Ancien', firstName: 'Dossier', employeeNumber: 'A123456', jobTitle: 'Infirmier', email: 'ancien.dossier@example.org' } as unknown as WithdrawalValues,
      requester: { userId: '29:sup' },
      conversationId: 'a:sup',
      locale: 'fr-CA',
      idempotencyKey: 'card-ancien',
    });
    await service.cancelByRequester({ userId: '29:sup' }, request.id);
    await seed.stop();

    const logs = logSink();
    const later = new Date(t0.getTime() + 400 * DAY);
    const app = await startTestBot(target.url, { LOG_LEVEL: 'info' }, { clock: () => later, logger: createLogger('info', logs.stream) });
    try {
      // Waits for the start-up sweep (or runs one): either way the request is erased.
      await app.retention.runNow();
      const row = await app.db.prisma.accessRequest.findUnique({ where: { id: request.id } });
      expect(row).toMatchObject({ status: 'cancelled', lastName: null, email: null, erasedAt: later });
      expect(logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'retention sweep')?.retention).toMatchObject({ erasedRequests: 1 });
    } finally {
      await app.stop();
      await target.drop();
    }
    // Stopped: no sweep runs any more.
    expect(await app.retention.runNow()).toBeUndefined();
  });
});
