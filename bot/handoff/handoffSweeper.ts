import type { HandoffService } from '../../domain/handoff/handoffService';
import type { Logger } from '../logger';

/**
 * Periodically tells users who have waited too long for an agent (HANDOFF_WAIT_MINUTES) which number to call.
 * @remarks Safe with several instances: each notice is claimed in the database. Tests call {@link runOnce}
 * with the app's injected clock instead of starting the timer.
 */
export class HandoffSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(private readonly service: HandoffService, private readonly logger: Logger, private readonly intervalMs: number) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      void this.runOnce().catch((err) => this.logger.error({ err }, 'handoff sweep failed'));
    }, this.intervalMs);
    this.timer.unref?.();
  }

  /** Sends the due long-wait notices once; concurrent calls share the run. @returns how many users were told. */
  runOnce(): Promise<number> {
    this.running ??= this.service.sweepWaiting().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
