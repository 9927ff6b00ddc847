import type { RetentionReport } from '../../domain/privacy/retention';
import type { Logger } from '../logger';

/** A running retention schedule. */
export interface RetentionSchedule {
  /** Runs a sweep now (waits for one already running) and returns its report. */
  runNow(): Promise<RetentionReport | undefined>;
  /** Stops the timer and waits for a sweep in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs the retention sweep shortly after start-up, then every `intervalMs`.
 * @remarks A failed sweep is logged (redacted) and retried at the next tick; sweeps never overlap. The timer
 * does not keep the process alive.
 */
export function startRetentionSchedule(sweep: () => Promise<RetentionReport>, intervalMs: number, logger: Logger): RetentionSchedule {
  let running: Promise<RetentionReport | undefined> | undefined;
  let stopped = false;

  const run = (): Promise<RetentionReport | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    running ??= (async () => {
      try {
        const report = await sweep();
        const changed = Object.values(report).some((n) => n > 0);
        if (changed) logger.info({ retention: report }, 'retention sweep');
        else logger.debug({ retention: report }, 'retention sweep');
        return report;
      } catch (err) {
        logger.error({ err }, 'retention sweep failed; retrying at the next interval');
        return undefined;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const first = setTimeout(() => void run(), 0);
  const timer = setInterval(() => void run(), intervalMs);
  first.unref();
  timer.unref();

  return {
    runNow: run,
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
