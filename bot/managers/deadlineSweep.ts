import type { ManagerService, SweepResult } from '../../domain/requests/managerService';
import type { Logger } from '../logger';

/**
 * Runs the secret-code deadline sweep (reminders, expiry) every `intervalMs`.
 * @remarks Due times live in the database and each step is a versioned write, so several instances may
 * sweep at once without double reminders. Tests call {@link runOnce} with a fake clock.
 */
export class DeadlineSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;
  private stopped = false;

  constructor(private readonly managers: ManagerService, private readonly intervalMs: number, private readonly logger: Logger) {}

  start(): void {
    if (this.timer || this.stopped) return;
    const loop = (delay: number) => {
      this.timer = setTimeout(async () => {
        try {
          const result = await this.runOnce();
          if (result.reminded + result.expired > 0) this.logger.info({ ...result }, 'deadline sweep');
        } catch (err) {
          this.logger.error({ err }, 'deadline sweep failed');
        }
        if (!this.stopped) loop(this.intervalMs);
      }, delay);
      this.timer.unref?.();
    };
    // A first sweep right away catches up on what fell due while no instance ran.
    loop(0);
  }

  /** One sweep now (concurrent calls share it). */
  runOnce(): Promise<SweepResult> {
    this.running ??= this.managers.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
