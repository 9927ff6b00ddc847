import { RetentionRepository } from '../../data/retentionRepository';
import { RetentionPolicy } from '../../domain/privacy/retention';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

const DAY = 24 * 60 * 60 * 1000;

describe.each(providersUnderTest())('retention of help-desk transcripts and delivered notifications (%s)', (provider) => {
  test('when a handoff ended more than RETENTION_DAYS ago, then its texts and names are erased, and a recent one is kept', async () => {
    const db = await createTestDatabase(provider);
    try {
      const t0 = new Date('2026-01-05T15:00:00Z');
      const session = (endedAt: Date | null, status: string, conv: string) =>
        db.prisma.handoffSession.create({
          data: {
            userId: '29:user', userName: 'Dre Nadia Bérubé', userConversationId: conv, lang: 'fr', status, teamId: '19:agents',
            agentId: '29:agent', agentName: 'Marie Tremblay', endedByName: 'Marie Tremblay', requestedAt: t0, endedAt, updatedAt: t0,
            messages: { create: [{ direction: 'user', authorId: '29:user', text: 'Mon courriel est nadia.berube@example.org', at: t0 }, { direction: 'agent', authorId: '29:agent', authorName: 'Marie', text: 'Merci Nadia', at: t0 }] },
          },
        });
      const old = await session(t0, 'ended', 'a:old');
      const recent = await session(new Date(t0.getTime() + 300 * DAY), 'ended', 'a:recent');
      const open = await session(null, 'active', 'a:open');
      await db.prisma.outboxMessage.create({
        data: { kind: 'handoff.toUser', target: '{}', payload: '{"text":"Merci Nadia"}', status: 'sent', attempts: 1, nextAttemptAt: t0, createdAt: t0, updatedAt: t0, sentAt: t0 },
      });
      await db.prisma.outboxMessage.create({
        data: { kind: 'handoff.toUser', target: '{}', payload: '{}', status: 'pending', attempts: 0, nextAttemptAt: t0, createdAt: t0, updatedAt: t0 },
      });

      const now = new Date(t0.getTime() + 366 * DAY);
      const report = await new RetentionPolicy(new RetentionRepository(db.prisma), { retentionDays: 365, idleConversationDays: 30 }, () => now).sweep();

      expect(report.erasedTranscriptMessages).toBe(2);
      expect(report.purgedSentNotifications).toBe(1);
      const dump = JSON.stringify(await db.prisma.handoffMessage.findMany({ where: { sessionId: old.id } })) + JSON.stringify(await db.prisma.handoffSession.findUnique({ where: { id: old.id } }));
      for (const personal of ['Nadia', 'nadia.berube', 'Marie', 'Bérubé']) expect(dump).not.toContain(personal);
      expect(await db.prisma.handoffMessage.count({ where: { sessionId: recent.id, text: { not: null } } })).toBe(2);
      expect(await db.prisma.handoffMessage.count({ where: { sessionId: open.id, text: { not: null } } })).toBe(2);
      expect(await db.prisma.outboxMessage.count()).toBe(1);

      // A second sweep finds nothing more to do.
      const again = await new RetentionPolicy(new RetentionRepository(db.prisma), { retentionDays: 365, idleConversationDays: 30 }, () => now).sweep();
      expect(again.erasedTranscriptMessages).toBe(0);
    } finally {
      await db.dispose();
    }
  });
});
