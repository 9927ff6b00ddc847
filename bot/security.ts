import type { CloudAdapter } from 'botbuilder';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../data/db';
import { RetentionRepository } from '../data/retentionRepository';
import { resolveLang } from '../domain/i18n';
import { RetentionPolicy } from '../domain/privacy/retention';
import type { Config } from './config';
import type { Logger } from './logger';
import { OutboundPacingMiddleware } from './middleware/outboundPacing';
import { TurnLogMiddleware } from './middleware/turnLog';
import { UserRateLimitMiddleware } from './middleware/userRateLimit';
import { OutboundPacer } from './services/outboundPacer';
import { startRetentionSchedule, type RetentionSchedule } from './services/retentionScheduler';

export interface SecurityDeps {
  /** The per-user limiter of incoming messages (`createUserRateLimiter`; the turn prelude counts for it too). */
  limiter: RateLimiterAbstract;
  adapter: CloudAdapter;
  db: Database;
  config: Config;
  logger: Logger;
  clock?: () => Date;
}

/** What {@link installSecurity} started. */
export interface Security {
  retention: RetentionSchedule;
  /** Stops the retention schedule (waits for a sweep in progress). */
  stop(): Promise<void>;
}

/**
 * Adds a content-free turn log and the abuse limits to the adapter (outbound pacing per conversation, then the
 * per-user limit of incoming messages) and starts the retention schedule.
 * @remarks Call after the duplicate-delivery middleware, so that a redelivery costs the user nothing.
 */
export function installSecurity({ adapter, db, config, logger, clock, limiter }: SecurityDeps): Security {
  adapter.use(new TurnLogMiddleware(logger));
  adapter.use(new OutboundPacingMiddleware(new OutboundPacer()));
  adapter.use(new UserRateLimitMiddleware(limiter, logger, resolveLang(config.DEFAULT_LOCALE)));
  const policy = new RetentionPolicy(
    new RetentionRepository(db.prisma),
    { retentionDays: config.RETENTION_DAYS, idleConversationDays: config.IDLE_CONVERSATION_DAYS },
    clock,
  );
  const retention = startRetentionSchedule(() => policy.sweep(), config.RETENTION_SWEEP_MINUTES * 60_000, logger);
  return { retention, stop: () => retention.stop() };
}
