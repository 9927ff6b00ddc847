/** A clock tests move by hand: `clock.now` is what the app sees as the current instant. */
export class FakeClock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  /** The function handed to the app (`options.clock`). */
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }
  set(at: Date | string): Date {
    this.current = new Date(at).getTime();
    return this.now();
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
