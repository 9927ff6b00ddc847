import type { Middleware, TurnContext } from 'botbuilder';
import type { StateRow } from '../../data/botStateRepository';
import type { RateLimitCount } from '../../data/rateLimitRepository';
import type { TurnPreludeRepository, TurnPreludeResult } from '../../data/turnPreludeRepository';
import type { DatabaseStorage } from '../services/databaseStorage';
import { claimKeyOf } from './duplicateDelivery';
import { setTurnPrelude, type TurnPrelude } from './turnPreludeState';
import { userRateLimitKey, type RateLimiterSqlStore } from './userRateLimit';

export interface TurnPreludeDeps {
  repository: TurnPreludeRepository;
  storage: DatabaseStorage;
  /** The per-user limiter, when it counts in the database with plain SQL (otherwise the limiter counts on its own). */
  limiter?: RateLimiterSqlStore;
  /** The state keys the bot will load this turn (conversation, user); none when it will load none. */
  stateKeys: (context: TurnContext) => string[];
  /** Real time by default, as the statements it replaces stamp the claim and the rate-limit window. */
  clock?: () => Date;
}

/**
 * Sends a message's or card action's opening statements together, before the middlewares that need them run:
 * claim the delivery (duplicate-delivery middleware), count it for the user (rate limit), read the conversation's
 * and the user's state (the bot). Register it first. See {@link TurnPreludeRepository} for how each database runs them.
 * @remarks The middlewares keep their meaning and order: a duplicate is dropped before anything is counted, a user
 * the limiter already blocks in memory is not counted again, an error of the statement reaches whoever awaits that
 * part, as its own statement's error would have. Activities without a delivery key run without a prelude.
 */
export class TurnPreludeMiddleware implements Middleware {
  private readonly clock: () => Date;

  constructor(private readonly deps: TurnPreludeDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const claimKey = claimKeyOf(context);
    if (!claimKey) return next();
    const now = this.clock();
    const count = this.countOf(context, now);
    const stateKeys = this.deps.stateKeys(context);
    const result = this.deps.repository.run({ claimKey, count, stateKeys, now });
    const prelude: TurnPrelude = { claimKey, claimed: result.then((r) => r.claimed) };
    if (count) prelude.count = { key: count.key, result: result.then((r) => counted(r)) };
    // Each part is awaited by its consumer, or by nobody (a duplicate reads no state): none may go unhandled.
    prelude.claimed.catch(() => undefined);
    prelude.count?.result.catch(() => undefined);
    const withdraw = stateKeys.map((key) => this.deps.storage.prime(key, result.then((r) => rowOf(r, key))));
    setTurnPrelude(context, prelude);
    try {
      await next();
    } finally {
      for (const w of withdraw) w();
    }
  }

  /** The counter to add to, as the limiter would: its key, one point, a new window's expiry; none when blocked in memory. */
  private countOf(context: TurnContext, now: Date): { key: string; points: number; expire: Date | null } | undefined {
    const limiter = this.deps.limiter;
    const userKey = limiter ? userRateLimitKey(context) : undefined;
    if (!limiter || !userKey) return undefined;
    const key = limiter.getKey(userKey);
    if (limiter.isBlockedInMemory(key)) return undefined;
    const ms = limiter.duration * 1000;
    return { key, points: 1, expire: ms > 0 ? new Date(now.getTime() + ms) : null };
  }
}

function counted(result: TurnPreludeResult): RateLimitCount {
  if (result.failed && 'count' in result.failed) throw result.failed.count;
  if (!result.count) throw new Error('turn prelude: the message was not counted');
  return result.count;
}

function rowOf(result: TurnPreludeResult, key: string): StateRow | null {
  if (result.failed && 'rows' in result.failed) throw result.failed.rows;
  return result.rows.find((r) => r.key === key) ?? null;
}
