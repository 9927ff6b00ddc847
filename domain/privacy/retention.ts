import type { RetentionRepository } from '../../data/retentionRepository';
import type { RequestStatus } from '../intake/kinds';

/** Statuses after which nothing more happens to a request: their personal fields are erased once old enough. */
export const CLOSED_STATUSES = ['completed', 'rejected', 'cancelled', 'expired'] as const satisfies readonly RequestStatus[];

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long things are kept. */
export interface RetentionSettings {
  /** Days after closing before a request's personal fields are erased (`RETENTION_DAYS`). */
  retentionDays: number;
  /** Days without activity after which a conversation's bot state is deleted (`IDLE_CONVERSATION_DAYS`). */
  idleConversationDays: number;
  /** Hours a duplicate-delivery key is kept (Teams redelivers within minutes). */
  processedActivityHours?: number;
}

/** What one sweep did (counts only: no personal data). */
export interface RetentionReport {
  erasedRequests: number;
  purgedProcessedActivities: number;
  purgedConversationStates: number;
  purgedUserStates: number;
  purgedRateLimits: number;
  erasedTranscriptMessages: number;
  purgedSentNotifications: number;
}

/**
 * The retention rules, applied by a periodic sweep:
 * - closed requests (completed, rejected, cancelled, expired) closed more than `retentionDays` ago lose their
 *   personal fields, keeping reference, kind, role, status and dates for statistics;
 * - the bot state of conversations idle for `idleConversationDays` is deleted (it may hold what an abandoned
 *   intake had typed), and the user state (language choice) after `retentionDays` without activity;
 * - transcripts of help-desk conversations ended more than `retentionDays` ago lose their texts and names;
 * - delivered notifications are deleted after `idleConversationDays`;
 * - duplicate-delivery keys and finished rate-limit windows are deleted.
 * @remarks Every step is idempotent and safe when several instances sweep at once.
 */
export class RetentionPolicy {
  constructor(
    private readonly store: RetentionRepository,
    private readonly settings: RetentionSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The instant before which a closed request is erased, as of `now`. */
  erasureCutoff(now: Date = this.clock()): Date {
    return new Date(now.getTime() - this.settings.retentionDays * DAY_MS);
  }

  /** Applies every rule once. */
  async sweep(): Promise<RetentionReport> {
    const now = this.clock();
    const erasedRequests = await this.store.eraseClosedRequests(CLOSED_STATUSES, this.erasureCutoff(now), now);
    const purgedProcessedActivities = await this.store.purgeProcessedActivities(
      new Date(now.getTime() - (this.settings.processedActivityHours ?? 24) * 60 * 60 * 1000),
    );
    const purgedConversationStates = await this.store.purgeIdleConversationState(new Date(now.getTime() - this.settings.idleConversationDays * DAY_MS));
    const purgedUserStates = await this.store.purgeIdleUserState(this.erasureCutoff(now));
    const purgedRateLimits = await this.store.purgeExpiredRateLimits(new Date(now.getTime() - 60 * 60 * 1000));
    const erasedTranscriptMessages = await this.store.eraseEndedHandoffs(this.erasureCutoff(now));
    const purgedSentNotifications = await this.store.purgeSentOutbox(new Date(now.getTime() - this.settings.idleConversationDays * DAY_MS));
    return {
      erasedRequests,
      purgedProcessedActivities,
      purgedConversationStates,
      purgedUserStates,
      purgedRateLimits,
      erasedTranscriptMessages,
      purgedSentNotifications,
    };
  }
}
