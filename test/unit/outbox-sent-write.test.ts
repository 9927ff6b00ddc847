import { createLogger } from '../../bot/logger';
import { OutboxDispatcher } from '../../bot/services/outboxDispatcher';
import type { Db } from '../../data/db';
import { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { OutboxRepository } from '../../data/outboxRepository';
import { managerCardWrite, RequestRepository, type RequestRecord } from '../../data/requestRepository';
import { sqlRunnerOf } from '../../data/sql';
import { formatReference } from '../../domain/intake/reference';
import { latch, tick } from '../helpers/async';
import { countingClient } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const T0 = new Date('2026-03-02T15:00:00.123Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LOCK = at(60_000);

/**
 * The managers' card delivery used to store where the card went (setManagerCard), then mark its outbox row sent: two
 * statements. They are now one write staged by the handler and made with the mark. These tests do both on twin rows
 * and requests and compare what is stored, on each provider, through plain SQL and through Prisma.
 */
for (const provider of providersUnderTest()) {
  for (const path of ['plain SQL', 'Prisma'] as const) {
    describe(`a write made with markSent on ${provider} (${path})`, () => {
      let db: TestDb;
      let client: Db;
      let repo: OutboxRepository;
      let seq = 0;

      beforeAll(async () => {
        db = await createTestDatabase(provider);
        client = path === 'plain SQL' ? db.prisma : (db.prisma.$extends({}) as unknown as Db);
        repo = new OutboxRepository(client);
      });
      afterAll(async () => db?.dispose());

      async function request(): Promise<RequestRecord> {
        const n = ++seq;
        const filed = await new RequestRepository(db.prisma).file(
          { kind: 'access_without_code', requesterRole: 'physician', requesterUserId: `29:r-${n}`, requesterConversationId: `a:c-${n}`, locale: 'fr-CA', lastName: 'Roy', firstName: 'Anne', email: 'a@example.org', idempotencyKey: `sent-write-${n}` },
          T0,
          formatReference,
        );
        return filed.request;
      }

      /** A card row of the request, claimed by `me`. */
      async function claimedRow(requestId: number): Promise<number> {
        const row = await repo.enqueue({ kind: 'managers.requestCard', target: { type: 'channel', teamId: '19:t' }, payload: { requestId }, orderingKey: `request:${requestId}:card` }, T0);
        const claimed = await repo.claimDue('me', T0, LOCK, 50);
        expect(claimed.map((m) => m.id)).toContain(row.id);
        return row.id;
      }

      const rowOf = async (id: number) => {
        const { id: _id, payload: _payload, orderingKey: _key, ...rest } = (await repo.findById(id))!;
        return rest;
      };
      const card = (posted: { activityId: string; conversationId: string }) => ({ managerCardActivityId: posted.activityId, managerCardConversationId: posted.conversationId });
      const cardOf = async (id: number) => {
        const r = (await db.prisma.accessRequest.findUnique({ where: { id } }))!;
        return { managerCardActivityId: r.managerCardActivityId, managerCardConversationId: r.managerCardConversationId, version: r.version, updatedAt: r.updatedAt };
      };

      test('when a card delivery is marked sent with its write, then the row and the request are stored exactly as setManagerCard then markSent stored them', async () => {
        const [oldRequest, newRequest] = [await request(), await request()];
        const [oldRow, newRow] = [await claimedRow(oldRequest.id), await claimedRow(newRequest.id)];
        const posted = { activityId: 'act-1', conversationId: '19:t;messageid=1' };
        await new ManagerRequestRepository(client).setManagerCard(oldRequest.id, posted);
        expect(await repo.markSent(oldRow, 'me', at(1_000), posted)).toBe(true);
        expect(await repo.markSent(newRow, 'me', at(1_000), { ...posted, alsoWrite: managerCardWrite(newRequest.id, posted) })).toBe(true);
        expect(await rowOf(newRow)).toEqual(await rowOf(oldRow));
        expect(await rowOf(newRow)).toMatchObject({ status: 'sent', attempts: 1, activityId: 'act-1', conversationId: '19:t;messageid=1', lockOwner: null, sentAt: at(1_000) });
        expect(await cardOf(newRequest.id)).toEqual(await cardOf(oldRequest.id));
        expect(await cardOf(newRequest.id)).toMatchObject(card(posted));
      });

      test('when the claim was lost, then the card is still stored (as before) and the row is left to its new holder', async () => {
        const r = await request();
        const row = await claimedRow(r.id);
        const posted = { activityId: 'act-2', conversationId: '19:t;messageid=2' };
        const before = await rowOf(row);
        expect(await repo.markSent(row, 'someone-else', at(1_000), { ...posted, alsoWrite: managerCardWrite(r.id, posted) })).toBe(false);
        expect(await rowOf(row)).toEqual(before);
        expect(await cardOf(r.id)).toMatchObject(card(posted));
      });

      test('when the request is missing, then markSent throws as setManagerCard did, and the row stays pending and held, to be retried', async () => {
        const r = await request();
        const row = await claimedRow(r.id);
        const posted = { activityId: 'act-3', conversationId: '19:t;messageid=3' };
        await expect(new ManagerRequestRepository(client).setManagerCard(999_999, posted)).rejects.toThrow();
        await expect(repo.markSent(row, 'me', at(1_000), { ...posted, alsoWrite: managerCardWrite(999_999, posted) })).rejects.toThrow("no request 999999 to attach the managers' card to");
        expect(await rowOf(row)).toMatchObject({ status: 'pending', lockOwner: 'me', attempts: 0, activityId: null });
        expect(await repo.markRetry(row, 'me', at(2_000), at(5_000), 'Error')).toBe(true);
        await expect(repo.applySentWrite(managerCardWrite(999_999, posted))).rejects.toThrow('no request 999999');
      });

      if (path === 'plain SQL') {
        test('when a card delivery is marked sent with its write, then PostgreSQL gets one statement and SQLite one group-commit entry', async () => {
          const r = await request();
          const row = await claimedRow(r.id);
          const { client: counted, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
          const posted = { activityId: 'act-4', conversationId: '19:t;messageid=4' };
          expect(await new OutboxRepository(counted).markSent(row, 'me', at(1_000), { ...posted, alsoWrite: managerCardWrite(r.id, posted) })).toBe(true);
          expect(calls).toEqual([provider === 'postgresql' ? 'query' : 'together']);
        });

        test('when a write has no key, then its mark goes alone, still in one statement (PostgreSQL) or one group-commit entry (SQLite)', async () => {
          const r = await request();
          const row = await claimedRow(r.id);
          const { client: counted, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
          const posted = { activityId: 'act-keyless', conversationId: '19:t;messageid=keyless' };
          const { key: _key, ...keyless } = managerCardWrite(r.id, posted);
          expect(await new OutboxRepository(counted).markSent(row, 'me', at(1_000), { ...posted, alsoWrite: keyless })).toBe(true);
          expect(calls).toEqual([provider === 'postgresql' ? 'query' : 'together']);
          expect(await cardOf(r.id)).toMatchObject(card(posted));
          expect(await rowOf(row)).toMatchObject({ status: 'sent', activityId: 'act-keyless' });
          const missing = await claimedRow((await request()).id);
          const { key: _missingKey, ...keylessMissing } = managerCardWrite(999_999, posted);
          await expect(new OutboxRepository(counted).markSent(missing, 'me', at(1_000), { ...posted, alsoWrite: keylessMissing })).rejects.toThrow('no request 999999');
        });

        test('when several deliveries are marked at once, then each gets its own outcome (a lost claim, a missing request) and PostgreSQL gets one statement', async () => {
          const requests = [await request(), await request(), await request()];
          const rows = [];
          for (const r of requests) rows.push(await claimedRow(r.id));
          const plain = await repo.enqueue({ kind: 'plain.kind', target: { type: 'channel', teamId: '19:t' }, payload: {} }, T0);
          await repo.claimDue('me', T0, LOCK, 50);
          const { client: counted, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
          const marks = new OutboxRepository(counted);
          const posted = (n: number) => ({ activityId: `act-many-${n}`, conversationId: `19:t;messageid=many-${n}` });
          const results = await Promise.allSettled([
            marks.markSent(rows[0]!, 'me', at(1_000), { ...posted(0), alsoWrite: managerCardWrite(requests[0]!.id, posted(0)) }),
            marks.markSent(rows[1]!, 'someone-else', at(1_000), { ...posted(1), alsoWrite: managerCardWrite(requests[1]!.id, posted(1)) }),
            marks.markSent(rows[2]!, 'me', at(1_000), { ...posted(2), alsoWrite: managerCardWrite(999_999, posted(2)) }),
            marks.markSent(plain.id, 'me', at(1_000), { activityId: 'act-plain' }),
          ]);

          expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
            true,
            false,
            "no request 999999 to attach the managers' card to",
            true,
          ]);
          expect(await cardOf(requests[0]!.id)).toMatchObject(card(posted(0)));
          // The claim was lost, but what Teams accepted is recorded.
          expect(await cardOf(requests[1]!.id)).toMatchObject(card(posted(1)));
          expect(await rowOf(rows[0]!)).toMatchObject({ status: 'sent', activityId: 'act-many-0' });
          expect(await rowOf(rows[1]!)).toMatchObject({ status: 'pending', lockOwner: 'me' });
          expect(await rowOf(rows[2]!)).toMatchObject({ status: 'pending', lockOwner: 'me' });
          expect(await rowOf(plain.id)).toMatchObject({ status: 'sent', activityId: 'act-plain' });
          if (provider === 'postgresql') expect(calls).toEqual(['query']);
        });
      }

      test('when a delivery finishes after its timeout, then its write is still made (a retry updates the card rather than post it twice)', async () => {
        const r = await request();
        await db.prisma.outboxMessage.updateMany({ where: { status: 'pending' }, data: { status: 'sent' } });
        await repo.enqueue({ kind: 'late.kind', target: { type: 'channel', teamId: '19:t' }, payload: { requestId: r.id } }, new Date());
        const release = latch();
        const posted = { activityId: 'act-late', conversationId: '19:t;messageid=late' };
        const dispatcher = new OutboxDispatcher(repo, createLogger('silent'), { pollIntervalMs: 60_000, maxAttempts: 5, backoffBaseMs: 60_000, backoffMaxMs: 600_000, sendTimeoutMs: 50 });
        dispatcher.register<{ requestId: number }>('late.kind', {
          deliver: async (m) => {
            await release.wait;
            return { ...posted, alsoWrite: managerCardWrite(m.payload.requestId, posted) };
          },
        });
        expect(await dispatcher.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
        expect(await cardOf(r.id)).toMatchObject({ managerCardActivityId: null });
        release.open();
        for (let i = 0; i < 200 && (await cardOf(r.id)).managerCardActivityId === null; i++) await tick(5);
        expect(await cardOf(r.id)).toMatchObject(card(posted));
        expect(await repo.list({ kind: 'late.kind' })).toMatchObject([{ status: 'pending', attempts: 1, lastError: 'TimeoutError' }]);
      });
    });
  }
}
