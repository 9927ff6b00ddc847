import type { TxClient } from '../../data/tx';
import { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { RequestRepository, type RequestRecord } from '../../data/requestRepository';
import { ManagerService, type RequestChange, type RequestNotifications } from '../../domain/requests/managerService';
import { RequestService } from '../../domain/requests/requestService';
import { FakeClock, DAY } from '../helpers/clock';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

/** Records what the use cases announce, inside their transaction; can be told to fail. */
class RecordingNotifications implements RequestNotifications {
  changes: { reference: string; status: string; change: RequestChange }[] = [];
  commits = 0;
  failNext = false;
  async requestChanged(_tx: TxClient, request: RequestRecord, change: RequestChange): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('outbox write failed');
    }
    this.changes.push({ reference: request.reference, status: request.status, change });
  }
  committed(): void {
    this.commits++;
  }
}

describe.each(providersUnderTest())('ManagerService on %s', (provider) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const clock = new FakeClock('2026-03-02T15:00:00Z');
  const notes = new RecordingNotifications();
  let requests: RequestService;
  let managers: ManagerService;
  const luc = { userId: '29:luc', name: 'Luc Gagnon' };
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase(provider);
    const repo = new RequestRepository(db.prisma);
    requests = new RequestService(repo, clock.now, (tx, r) => notes.requestChanged(tx, r, { action: 'filed', updateCard: true }));
    managers = new ManagerService(repo, new ManagerRequestRepository(db.prisma), notes, clock.now);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  async function file(kind: 'access_with_code' | 'access_without_code' = 'access_without_code') {
    const { request } = await requests.fileRequest({
      kind,
      role: 'physician',
      values: { lastName: 'Tremblay', firstName: 'Marie', practiceLocation: 'CHU', email: 'm@example.org', employeeNumber: '1', jobTitle: 'Médecin', ramqUserCode: 'abcd1' } as never,
      requester: { userId: `29:req-${++n}`, name: 'Dre Test' },
      conversationId: `a:conv-${n}`,
      locale: 'fr-CA',
      idempotencyKey: `card-${provider}-${n}`,
    });
    return request;
  }

  test('when the notification cannot be written, then filing is rolled back: no request without its card', async () => {
    const before = await db.prisma.accessRequest.count();
    notes.failNext = true;
    await expect(file()).rejects.toThrow('outbox write failed');
    expect(await db.prisma.accessRequest.count()).toBe(before);
  });

  test('when the notification cannot be written, then a manager’s action is rolled back too', async () => {
    const request = await file();
    notes.failNext = true;
    await expect(managers.act(luc, 'claim', request.id)).rejects.toThrow('outbox write failed');
    expect(await db.prisma.accessRequest.findUnique({ where: { id: request.id } })).toMatchObject({ status: 'submitted', version: request.version, assigneeId: null });
    expect(await db.prisma.requestEvent.count({ where: { requestId: request.id } })).toBe(1);
  });

  test('when each action succeeds, then the requester’s notice matches it and the managers’ card is refreshed', async () => {
    const request = await file();
    notes.changes = [];
    await managers.act(luc, 'claim', request.id);
    await managers.act(luc, 'codeSent', request.id);
    clock.advance(5 * DAY);
    await managers.sweep();
    await managers.act(luc, 'codeSent', request.id);
    await managers.act(luc, 'complete', request.id);
    expect(notes.changes.map((c) => [c.status, c.change.action, c.change.notice, c.change.updateCard])).toEqual([
      ['in_progress', 'claimed', 'claimed', true],
      ['code_sent', 'code_sent', 'code_sent', true],
      ['expired', 'expired', 'expired', true],
      ['code_sent', 'code_sent', 'new_code', true],
      ['completed', 'completed', 'completed', true],
    ]);
    expect(notes.commits).toBeGreaterThanOrEqual(5);
  });

  test('when a request’s detail is asked, then it comes with its history oldest first; an unknown one is null', async () => {
    const request = await file();
    await managers.act(luc, 'claim', request.id);
    const detail = await managers.detail(request.id);
    expect(detail?.request).toMatchObject({ id: request.id, status: 'in_progress', assigneeId: luc.userId });
    expect(detail?.events.map((e) => [e.action, e.fromStatus, e.toStatus, e.actorName])).toEqual([
      ['filed', null, 'submitted', 'Dre Test'],
      ['claimed', 'submitted', 'in_progress', 'Luc Gagnon'],
    ]);
    expect(await managers.detail(987654)).toBeNull();
  });

  test('when an unknown request or someone else’s registration is named, then nothing changes', async () => {
    expect(await managers.act(luc, 'claim', 987654)).toEqual({ ok: false, reason: 'not_found' });
    const request = await file();
    await managers.act(luc, 'claim', request.id);
    await managers.act(luc, 'codeSent', request.id);
    expect(await managers.registrationDone({ userId: '29:someone-else' }, request.id)).toEqual({ ok: false, reason: 'not_yours' });
    const done = await managers.registrationDone({ userId: request.requesterUserId }, request.id);
    expect(done).toMatchObject({ ok: true, already: false });
    expect(await managers.registrationDone({ userId: request.requesterUserId }, request.id)).toMatchObject({ ok: true, already: true });
  });

  test('when a due request is no longer waiting for a code, then the sweep clears its deadline without telling anyone', async () => {
    const request = await file();
    await managers.act(luc, 'claim', request.id);
    await managers.act(luc, 'codeSent', request.id);
    await managers.act(luc, 'reject', request.id, { reason: 'Doublon' });
    // A deadline left behind (e.g. written by an older version): the sweep must not remind nor expire.
    await db.prisma.accessRequest.update({ where: { id: request.id }, data: { nextDueAt: clock.now() } });
    notes.changes = [];
    const result = await managers.sweep();
    expect(result).toMatchObject({ reminded: 0, expired: 0 });
    expect(notes.changes).toEqual([]);
    expect(await db.prisma.accessRequest.findUnique({ where: { id: request.id } })).toMatchObject({ status: 'rejected', nextDueAt: null });
  });

  test('when the queue is asked, then open requests come oldest first and closed ones are left out', async () => {
    const queue = await managers.queue(100);
    const statuses = new Set(queue.requests.map((r) => r.status));
    expect([...statuses].every((s) => ['submitted', 'in_progress', 'code_sent', 'expired'].includes(s))).toBe(true);
    const times = queue.requests.map((r) => r.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(queue.total).toBe(Object.values(queue.counts).reduce((a, b) => a + b, 0));
  });
});
