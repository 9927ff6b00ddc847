import type { Db } from './db';

/**
 * Columns of `access_requests` that hold personal information, and what they become once erased.
 * @remarks Reference, kind, requester role, status, locale, the authorization flag, the assignee's id and
 * every date stay, for statistics. A feature that adds a personal column to requests adds it here.
 */
export const ERASED_REQUEST_FIELDS = {
  lastName: null,
  firstName: null,
  practiceLocation: null,
  email: null,
  ramqUserCode: null,
  employeeNumber: null,
  jobTitle: null,
  requesterName: null,
  requesterEmail: null,
  requesterAadObjectId: null,
  // NOT NULL columns: emptied rather than nulled.
  requesterUserId: '',
  requesterConversationId: '',
  authorizedBy: null,
  assigneeName: null,
  rejectionReason: null,
  managerCardActivityId: null,
} as const;

/** Erasure works in small batches: SQLite takes one writer at a time, and no transaction should last long. */
const BATCH = 100;

/** The database side of the retention rules: erasing personal fields and purging what is no longer needed. */
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  /**
   * Erases the personal fields of requests in one of `statuses` closed before `closedBefore` and not erased yet,
   * and the names and free-text reasons of their events (and the requester's id on them).
   * @returns how many requests were erased.
   */
  async eraseClosedRequests(statuses: readonly string[], closedBefore: Date, now: Date): Promise<number> {
    let erased = 0;
    for (;;) {
      const due = await this.db.accessRequest.findMany({
        where: { status: { in: [...statuses] }, closedAt: { lt: closedBefore }, erasedAt: null },
        select: { id: true, requesterUserId: true },
        orderBy: { id: 'asc' },
        take: BATCH,
      });
      if (due.length === 0) return erased;
      await this.db.$transaction(async (tx) => {
        for (const request of due) {
          // The status and closing date are checked again: a request reopened meanwhile is left alone,
          // and the version bump makes any concurrent versioned write of it fail rather than restore data.
          const res = await tx.accessRequest.updateMany({
            where: { id: request.id, status: { in: [...statuses] }, closedAt: { lt: closedBefore }, erasedAt: null },
            data: { ...ERASED_REQUEST_FIELDS, erasedAt: now, updatedAt: now, version: { increment: 1 } },
          });
          if (res.count !== 1) continue;
          await tx.requestEvent.updateMany({ where: { requestId: request.id }, data: { actorName: null, reason: null } });
          if (request.requesterUserId) {
            await tx.requestEvent.updateMany({ where: { requestId: request.id, actorId: request.requesterUserId }, data: { actorId: '' } });
          }
          erased++;
        }
      });
      if (due.length < BATCH) return erased;
    }
  }

  /** Deletes duplicate-delivery keys recorded before the cutoff. */
  async purgeProcessedActivities(before: Date): Promise<number> {
    return (await this.db.processedActivity.deleteMany({ where: { createdAt: { lt: before } } })).count;
  }

  /** Deletes the conversation state (dialog stack, an abandoned intake's values…) of conversations idle since the cutoff. */
  async purgeIdleConversationState(before: Date): Promise<number> {
    return (await this.db.botStateItem.deleteMany({ where: { key: { contains: '/conversations/' }, updatedAt: { lt: before } } })).count;
  }

  /** Deletes the user state (language preference) of users idle since the cutoff. */
  async purgeIdleUserState(before: Date): Promise<number> {
    return (await this.db.botStateItem.deleteMany({ where: { key: { contains: '/users/' }, updatedAt: { lt: before } } })).count;
  }

  /** Deletes rate-limit counters whose window ended before the cutoff. */
  async purgeExpiredRateLimits(before: Date): Promise<number> {
    return (await this.db.rateLimitCounter.deleteMany({ where: { expire: { lt: before } } })).count;
  }

  /**
   * Erases the transcripts of help-desk conversations that ended (or were left) before the cutoff: message texts
   * and the names on the session and its messages; dates, directions and statuses stay.
   * @returns how many messages were emptied.
   */
  async eraseEndedHandoffs(endedBefore: Date): Promise<number> {
    const ended = { status: { in: ['ended', 'cancelled'] }, endedAt: { lt: endedBefore } };
    const messages = await this.db.handoffMessage.updateMany({
      where: { session: { is: ended }, OR: [{ text: { not: null } }, { authorName: { not: null } }] },
      data: { text: null, authorName: null },
    });
    await this.db.handoffSession.updateMany({
      where: { ...ended, OR: [{ userName: { not: null } }, { agentName: { not: null } }, { endedByName: { not: null } }] },
      data: { userName: null, agentName: null, endedByName: null, userAadObjectId: null, agentAadObjectId: null },
    });
    return messages.count;
  }

  /** Deletes notifications delivered before the cutoff (their payloads may name the people concerned). */
  async purgeSentOutbox(before: Date): Promise<number> {
    return (await this.db.outboxMessage.deleteMany({ where: { status: 'sent', sentAt: { lt: before } } })).count;
  }
}
