import type { DbTx } from '../../data/db';
import { BotStateRepository } from '../../data/botStateRepository';
import { ConversationRefRepository } from '../../data/conversationRefRepository';
import { ProcessedActivityRepository } from '../../data/processedActivityRepository';
import { sqlRunnerOf } from '../../data/sql';
import { TeamInstallationRepository } from '../../data/teamInstallationRepository';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

for (const provider of providersUnderTest()) {
  for (const path of ['plain SQL', 'Prisma'] as const) {
    describe(`per-turn repositories on ${provider} (${path})`, () => {
      let db: Db;
      let client: DbTx;
      beforeAll(async () => {
        db = await createTestDatabase(provider);
        client = path === 'plain SQL' ? db.prisma : (db.prisma.$extends({}) as unknown as DbTx);
      });
      afterAll(async () => {
        await db?.dispose();
      });

      test(`when the repositories are built on this client, then they ${path === 'plain SQL' ? 'use' : 'do not use'} the plain-SQL runner`, () => {
        expect(sqlRunnerOf(client) !== undefined).toBe(path === 'plain SQL');
      });

      test('when an activity is claimed twice, then only the first claim wins, and a released key can be claimed again', async () => {
        const repo = new ProcessedActivityRepository(client);
        expect(await repo.claim('msteams|a:conv|act-1')).toBe(true);
        expect(await repo.claim('msteams|a:conv|act-1')).toBe(false);
        await repo.release('msteams|a:conv|act-1');
        expect(await repo.claim('msteams|a:conv|act-1')).toBe(true);
      });

      test('when claims are purged, then the dates written are compared as Prisma stores them', async () => {
        const repo = new ProcessedActivityRepository(client);
        await repo.claim('old', new Date('2026-01-01T10:00:00.000Z'));
        await repo.claim('new', new Date('2026-01-01T12:00:00.000Z'));
        expect(await repo.purgeOlderThan(new Date('2026-01-01T11:00:00.000Z'))).toBe(1);
        const left = await db.prisma.processedActivity.findMany({ where: { key: { in: ['old', 'new'] } } });
        expect(left.map((r) => [r.key, r.createdAt.toISOString()])).toEqual([['new', '2026-01-01T12:00:00.000Z']]);
      });

      test('when a conversation reference is saved twice, then the second replaces the first', async () => {
        const repo = new ConversationRefRepository(client);
        await repo.save({ conversationId: 'a:conv-ref', scope: 'personal', userId: '29:u', reference: '{"v":1}', locale: 'fr-CA' });
        await repo.save({ conversationId: 'a:conv-ref', scope: 'personal', userId: '29:u', reference: '{"v":2}', locale: 'en-CA', teamId: null });
        expect(await repo.find('a:conv-ref')).toMatchObject({ reference: '{"v":2}', locale: 'en-CA', userId: '29:u', teamId: null });
      });

      test('when team installations are looked up, then the records are exactly what Prisma returns (same fields, same types)', async () => {
        const repo = new TeamInstallationRepository(client);
        const teams = Array.from({ length: 12 }, (_, i) => ({
          teamId: `19:team-${i}@thread.tacv2`,
          channelId: `19:team-${i}@thread.tacv2`,
          serviceUrl: `https://smba.trafficmanager.net/amer/${i}/`,
          tenantId: i % 3 === 0 ? null : `tenant-${i}`,
          reference: JSON.stringify({ i, text: 'é"\\' }),
        }));
        for (const [i, team] of teams.entries()) {
          await repo.save(team, new Date(Date.UTC(2026, i, 1 + i, i, 7 * i, i, 37 * i)));
          if (i % 2 === 0) await repo.save({ ...team, tenantId: 'later' }, new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)));
        }
        for (const team of teams) {
          const found = await repo.find(team.teamId);
          expect(found).toStrictEqual(await db.prisma.teamInstallation.findUnique({ where: { teamId: team.teamId } }));
          expect(found).not.toBeNull();
        }
        expect(await repo.find('19:absent@thread.tacv2')).toBeNull();
      });

      test('when state items are read, then the rows are exactly what Prisma returns (same fields, same types)', async () => {
        const repo = new BotStateRepository(client);
        await repo.write('same-1', '{"n":1}');
        await repo.write('same-2', '{"n":2}');
        const rows = await repo.readMany(['same-2', 'same-1', 'absent']);
        const viaPrisma = await db.prisma.botStateItem.findMany({ where: { key: { in: ['same-1', 'same-2'] } }, select: { key: true, data: true, etag: true } });
        const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
        expect([...rows].sort(byKey)).toStrictEqual([...viaPrisma].sort(byKey));
      });

      test('when a state item is written, then Prisma reads back its data, eTag and date', async () => {
        const repo = new BotStateRepository(client);
        const before = Date.now();
        const etag = await repo.write('state-key', '{"a":1}');
        const row = await db.prisma.botStateItem.findUnique({ where: { key: 'state-key' } });
        expect(row).toMatchObject({ data: '{"a":1}', etag });
        expect(row!.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
        expect(row!.updatedAt.getTime()).toBeLessThanOrEqual(Date.now());
      });
    });
  }
}
