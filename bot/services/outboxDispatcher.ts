import { randomUUID } from 'node:crypto';
import type { OutboxRecord, OutboxRepository, SentRecord } from '../../data/outboxRepository';
import type { Logger } from '../logger';

/**
 * What a delivery posted (stored on the row, so later updates can find it), and a write that records it elsewhere
 * (`alsoWrite`: made with the row's mark as sent, one statement on PostgreSQL; alone if the delivery ends after its
 * timeout).
 */
export type DeliveryResult = SentRecord;

/** Why a delivery failed, as the dispatcher understood it (no personal data). */
export interface DeliveryFailure {
  /** HTTP status from the Bot Connector, when there was one. */
  status?: number;
  /** Short label for logs and /healthz: `HTTP 403`, `TimeoutError`, `TeamNotInstalledError`… */
  label: string;
  retryable: boolean;
  /** From a 429's Retry-After header. */
  retryAfterMs?: number;
  error: unknown;
}

/** Delivers one kind of outbox message. */
export interface OutboxHandler<P = unknown> {
  /** Sends the message; throws to fail the attempt (see {@link classifyFailure} for what is retried). */
  deliver(message: OutboxRecord<P>): Promise<DeliveryResult | void>;
  /** Called once when the message is given up (permanent error, or too many attempts). */
  onFailed?(message: OutboxRecord<P>, failure: DeliveryFailure): Promise<void>;
}

export interface OutboxDispatcherOptions {
  /** How often the queue is polled when idle. */
  pollIntervalMs: number;
  /** Attempts before a message is marked failed. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, with jitter, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A delivery taking longer fails with a TimeoutError (and is retried). */
  sendTimeoutMs: number;
  /** Messages handled per run before yielding. */
  batchSize?: number;
  /** Deliveries in flight at once (default 8); rows of one ordering key still go one at a time. */
  concurrency?: number;
  clock?: () => Date;
  /** Random source in [0, 1) for jitter (tests pin it). */
  random?: () => number;
  /** Identifies this instance in row locks. */
  instanceId?: string;
}

/** Thrown by a handler that wants the attempt retried later without counting as a failure of the target. */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  readonly retryable = true;
  constructor(readonly retryAfterMs?: number) {
    super('retry later');
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly retryable = true;
}

/** Reads a Retry-After header value (seconds, or an HTTP date) as milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = (error as { response?: { headers?: { get?: (n: string) => string | undefined } | Record<string, string> } }).response?.headers;
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get: (n: string) => string | undefined }).get(name) ?? undefined;
  return (headers as Record<string, string>)[name] ?? (headers as Record<string, string>)[name.toLowerCase()];
}

/**
 * Decides whether a failed delivery is worth retrying.
 * @remarks 429, 408 and 5xx are retried (429 after its Retry-After); other 4xx are permanent (403: the user
 * blocked the bot; 404: the conversation is gone); errors without a status (network, timeout) are retried.
 * An error carrying a boolean `retryable` decides for itself.
 */
export function classifyFailure(error: unknown, now: Date): DeliveryFailure {
  const e = error as { statusCode?: number; status?: number; retryable?: boolean; retryAfterMs?: number; name?: string; code?: string };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) {
    const retryable = status === 429 || status === 408 || status >= 500;
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headerOf(error, 'retry-after'), now) : undefined;
    return { status, label: `HTTP ${status}`, retryable, retryAfterMs, error };
  }
  const label = (e?.name && e.name !== 'Error' ? e.name : e?.code) ?? 'Error';
  return { label: String(label).slice(0, 60), retryable: typeof e?.retryable === 'boolean' ? e.retryable : true, retryAfterMs: e?.retryAfterMs, error };
}

/**
 * Lets code that enqueues (inside a transaction, without the dispatcher at hand) ask for a prompt delivery.
 * @remarks Call {@link notify} after the transaction committed; the app connects it to {@link OutboxDispatcher.kick}.
 */
export class OutboxSignal {
  private listener: () => void = () => undefined;
  connect(listener: () => void): void {
    this.listener = listener;
  }
  notify(): void {
    this.listener();
  }
}

/** Outcome counts of one run. */
export interface DispatchRun {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Delivers outbox messages: claims due rows (safely across instances), calls the handler of each row's
 * kind (up to `concurrency` rows at once; rows of one ordering key one at a time, in order), and records
 * the outcome — sent (with the posted activity id), retried later (429 Retry-After, or exponential backoff
 * with jitter), or failed after `maxAttempts` (logged without personal data, counted in /healthz).
 * @remarks Start with {@link start} (polls every `pollIntervalMs`; {@link kick} runs it soon after an
 * enqueue), stop with {@link stop}. Tests call {@link runOnce} with an injected clock.
 */
export class OutboxDispatcher {
  private readonly handlers = new Map<string, OutboxHandler<any>>();
  private readonly clock: () => Date;
  private readonly random: () => number;
  readonly instanceId: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<DispatchRun>;
  private started = false;
  private stopped = false;
  /** Set by kick(); a run that started before the kick is followed by another one. */
  private kicked = false;

  constructor(private readonly repo: OutboxRepository, private readonly logger: Logger, private readonly options: OutboxDispatcherOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.instanceId = options.instanceId ?? `dispatcher-${randomUUID()}`;
  }

  /** Registers the handler of a kind (one per kind). */
  register<P>(kind: string, handler: OutboxHandler<P>): this {
    if (this.handlers.has(kind)) throw new Error(`outbox kind already registered: ${kind}`);
    this.handlers.set(kind, handler);
    return this;
  }

  /** Starts polling. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  /** Asks for a run soon (after an enqueue), without waiting for the next poll. */
  kick(): void {
    if (!this.started || this.stopped) return;
    this.kicked = true;
    if (!this.running) this.schedule(0);
  }

  /** Stops polling and waits for the deliveries in progress, if any. Pending rows stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Delivers what is due now (up to a batch), once. Concurrent calls share the same run. */
  runOnce(): Promise<DispatchRun> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Milliseconds before retrying after the attempt number `attempt` (1-based): exponential, capped, jittered (50–100 %). */
  backoffMs(attempt: number): number {
    const exp = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(exp * (0.5 + this.random() * 0.5));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let more = false;
    try {
      const run = await this.runOnce();
      more = run.sent + run.retried + run.failed >= (this.options.batchSize ?? 25);
    } catch (err) {
      this.logger.error({ err }, 'outbox run failed');
    }
    if (!this.stopped) this.schedule(more || this.kicked ? 0 : this.options.pollIntervalMs);
  }

  private async run(): Promise<DispatchRun> {
    this.kicked = false;
    const outcome: DispatchRun = { sent: 0, retried: 0, failed: 0 };
    const batch = this.options.batchSize ?? 25;
    const concurrency = Math.max(1, this.options.concurrency ?? 8);
    const inFlight = new Set<Promise<void>>();
    let claimed = 0;
    /** The last claim found fewer due rows than it asked for. */
    let drained = false;
    /** A finished row had an ordering key: the next row of that key may be due now. */
    let unblocked = false;
    let failure: { error: unknown } | undefined;
    // A pool of deliveries: rows are claimed only when a slot is free and their delivery starts at once, so each
    // row's lock covers its own delivery (bounded by sendTimeoutMs), never a wait behind other rows. Several free
    // slots are filled with one claim. claimDue never hands out a row while an older row of its ordering key is
    // pending (a claimed row stays pending until marked), so rows of one key still go one at a time, in order.
    while (!this.stopped && !failure) {
      const free = Math.min(concurrency - inFlight.size, batch - claimed);
      // Once drained, claiming again is only worth a round trip when something may have become due since:
      // a row of an ordering key finished, or a kick (an enqueue committed). Rows whose time comes are the poll's.
      if (free > 0 && (!drained || unblocked || this.kicked)) {
        unblocked = false;
        this.kicked = false;
        const now = this.clock();
        const lockedUntil = new Date(now.getTime() + this.options.sendTimeoutMs * 2 + 30_000);
        const messages = await this.repo.claimDue(this.instanceId, now, lockedUntil, free);
        drained = messages.length < free;
        claimed += messages.length;
        for (const message of messages) {
          const delivery: Promise<void> = this.deliver(message).then(
            (result) => {
              inFlight.delete(delivery);
              outcome[result]++;
              if (message.orderingKey && result !== 'retried') unblocked = true;
            },
            (error: unknown) => {
              inFlight.delete(delivery);
              failure ??= { error };
            },
          );
          inFlight.add(delivery);
        }
      }
      if (inFlight.size === 0) {
        // Nothing under way: done, unless a row finished (or a kick came) while the last claim was running.
        if (claimed >= batch || (drained && !unblocked && !this.kicked)) break;
        continue;
      }
      await Promise.race(inFlight);
    }
    // stop() and a failed acknowledgement end the claiming; the deliveries under way still finish and are recorded.
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    return outcome;
  }

  private async deliver(message: OutboxRecord): Promise<keyof DispatchRun> {
    const handler = this.handlers.get(message.kind);
    if (!handler) {
      const failure: DeliveryFailure = { label: 'NoHandler', retryable: false, error: new Error('no handler') };
      await this.repo.markFailed(message.id, this.instanceId, this.clock(), failure.label);
      this.logger.error({ outboxId: message.id, kind: message.kind }, 'outbox message has no handler; marked failed');
      return 'failed';
    }
    let timer: NodeJS.Timeout | undefined;
    let delivery: Promise<DeliveryResult | void> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError('delivery timed out')), this.options.sendTimeoutMs);
        timer.unref?.();
      });
      delivery = handler.deliver(message);
      const result = (await Promise.race([delivery, timeout])) ?? {};
      await this.repo.markSent(message.id, this.instanceId, this.clock(), result);
      return 'sent';
    } catch (error) {
      if (error instanceof TimeoutError && delivery) this.writeLate(message, delivery);
      const now = this.clock();
      const failure = classifyFailure(error, now);
      const attempt = message.attempts + 1;
      if (failure.retryable && attempt < this.options.maxAttempts) {
        const delay = failure.retryAfterMs ?? this.backoffMs(attempt);
        await this.repo.markRetry(message.id, this.instanceId, now, new Date(now.getTime() + delay), failure.label);
        this.logger.warn({ outboxId: message.id, kind: message.kind, attempt, failure: failure.label, retryInMs: delay }, 'outbox delivery failed; will retry');
        return 'retried';
      }
      await this.repo.markFailed(message.id, this.instanceId, now, failure.label);
      this.logger.error({ outboxId: message.id, kind: message.kind, attempt, failure: failure.label }, 'outbox delivery failed; giving up');
      try {
        await handler.onFailed?.(message, failure);
      } catch (err) {
        this.logger.error({ outboxId: message.id, kind: message.kind, err }, 'outbox failure handler failed');
      }
      return 'failed';
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * A delivery that outlived its timeout may still succeed (the row is retried meanwhile): its write is made then,
   * as a handler writing after its own send would have made it, so that a retry finds what was posted (e.g. the
   * managers' card, updated in place instead of posted twice).
   */
  private writeLate(message: OutboxRecord, delivery: Promise<DeliveryResult | void>): void {
    delivery.then(
      (result) => {
        if (!result?.alsoWrite) return;
        this.repo.applySentWrite(result.alsoWrite).catch((err: unknown) => {
          this.logger.warn({ outboxId: message.id, kind: message.kind, err }, 'outbox delivery finished after its timeout and could not be recorded');
        });
      },
      // Failed after its timeout: nothing was posted, nothing to record (the row is retried).
      () => undefined,
    );
  }
}
