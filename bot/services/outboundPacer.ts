/** At most `count` sends in any window of `windowMs`. */
export interface PacingLimit {
  count: number;
  windowMs: number;
}

/** Teams' limits for a bot in one conversation: 7 messages per second and 60 per 30 seconds. */
export const TEAMS_CONVERSATION_LIMITS: readonly PacingLimit[] = [
  { count: 7, windowMs: 1_000 },
  { count: 60, windowMs: 30_000 },
];

export interface OutboundPacerOptions {
  limits?: readonly PacingLimit[];
  /** Added to every window, to absorb network jitter between us and Teams. */
  marginMs?: number;
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
  /** Waits (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** How often, at most, the pacer forgets conversations with no send left in any window. */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * Paces the bot's own sends per conversation under sliding-window limits (Teams: 7/s and 60 per 30 s).
 * @remarks Slots are reserved in call order, so a conversation's messages keep their order and concurrent
 * senders never both take the last slot. A library limiter (rate-limiter-flexible) counts in fixed windows,
 * which lets twice the limit through across a window boundary; Teams counts in sliding windows, hence this
 * small scheduler. State is per instance and short-lived (at most the last 30 s of each conversation).
 */
export class OutboundPacer {
  private readonly reserved = new Map<string, number[]>();
  private readonly limits: readonly PacingLimit[];
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly horizonMs: number;
  /** When the last sweep of finished conversations ran (ms since the epoch). */
  private sweptAt = -Infinity;

  constructor(options: OutboundPacerOptions = {}) {
    this.limits = options.limits ?? TEAMS_CONVERSATION_LIMITS;
    this.marginMs = options.marginMs ?? 100;
    this.now = options.now ?? Date.now;
    // The timer does not hold the process open: at shutdown, draining the server is what waits for turns.
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
    this.horizonMs = Math.max(...this.limits.map((l) => l.windowMs)) + this.marginMs;
  }

  /**
   * Waits until `n` activities may be sent to the conversation, and reserves their slot.
   * @returns the delay waited, in milliseconds.
   */
  async acquire(conversationId: string, n = 1): Promise<number> {
    const now = this.now();
    const delay = this.reserve(conversationId, n, now) - now;
    if (delay > 0) await this.sleep(delay);
    return Math.max(0, delay);
  }

  /** How many conversations currently have recent sends on record. */
  get trackedConversations(): number {
    return this.reserved.size;
  }

  /** Reserves the earliest instant at which `n` more sends fit every limit, not before earlier reservations. */
  private reserve(key: string, n: number, now: number): number {
    // At most one sweep a second: sweeping on every send once a thousand conversations are on record walked the
    // whole map each time (thousands of entries at saturation, when every intake is a new conversation).
    if (this.reserved.size > 1000 && now - this.sweptAt >= SWEEP_INTERVAL_MS) this.forgetOld(now);
    const times = (this.reserved.get(key) ?? []).filter((t) => t > now - this.horizonMs);
    let at = Math.max(now, times.length ? times[times.length - 1] : now);
    for (let moved = true; moved; ) {
      moved = false;
      for (const { count, windowMs } of this.limits) {
        const window = windowMs + this.marginMs;
        const need = Math.min(n, count);
        const inWindow = times.filter((t) => t > at - window);
        const excess = inWindow.length + need - count;
        if (excess > 0) {
          // The oldest `excess` sends of the window must fall out of it first.
          const earliest = inWindow[excess - 1] + window;
          if (earliest > at) {
            at = earliest;
            moved = true;
          }
        }
      }
    }
    for (let i = 0; i < n; i++) times.push(at);
    this.reserved.set(key, times);
    return at;
  }

  private forgetOld(now: number): void {
    this.sweptAt = now;
    const cutoff = now - this.horizonMs;
    this.reserved.forEach((times, key) => {
      if (!times.length || times[times.length - 1]! <= cutoff) this.reserved.delete(key);
    });
  }
}
