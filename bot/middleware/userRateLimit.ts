import { createHash } from 'node:crypto';
import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import {
  RateLimiterMemory,
  RateLimiterPrisma,
  RateLimiterRes,
  type IRateLimiterStoreOptions,
  type RateLimiterAbstract,
  type RateLimiterStoreAbstract as RateLimiterStoreAbstractType,
} from 'rate-limiter-flexible';
import type { Db } from '../../data/db';
import { RateLimitRepository, type RateLimitCount } from '../../data/rateLimitRepository';
import { sqlRunnerOf } from '../../data/sql';
import { resolveLang, translator, type Lang } from '../../domain/i18n';
import type { Logger } from '../logger';
import { turnPreludeOf } from './turnPreludeState';

/** How many messages (and card actions) one user may send per window. */
export interface UserRateLimitSettings {
  points: number;
  windowSeconds: number;
}

// rate-limiter-flexible declares RateLimiterStoreAbstract in its types but leaves it out of its index.
const RateLimiterStoreAbstract = require('rate-limiter-flexible/lib/RateLimiterStoreAbstract') as typeof RateLimiterStoreAbstractType;

/**
 * rate-limiter-flexible's store contract on {@link RateLimitRepository}: one plain-SQL statement per consumed message.
 * @remarks The library keeps its semantics (in-memory block once over the limit, insurance limiter, blocks and
 * penalties); only the storage calls below are ours, modelled on its own SQL stores.
 */
export class RateLimiterSqlStore extends RateLimiterStoreAbstract {
  constructor(private readonly counters: RateLimitRepository, opts: Omit<IRateLimiterStoreOptions, 'storeClient'>) {
    super({ ...opts, storeClient: counters });
  }

  /**
   * Counts `points` (or, forced, sets them) for a window of `msDuration` (0: no expiry).
   * @remarks A consume whose options carry `counted` (the turn prelude already counted this message in its opening
   * statement, see bot/middleware/turnPrelude.ts) takes that result instead of counting again.
   */
  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false, options?: { counted?: { key: string; result: Promise<RateLimitCount> } }): Promise<RateLimitCount> {
    const counted = options?.counted;
    if (counted && counted.key === rlKey && !forceExpire) return counted.result;
    const now = new Date();
    const expire = msDuration > 0 ? new Date(now.getTime() + msDuration) : null;
    return forceExpire ? this.counters.set(rlKey, points, expire) : this.counters.consume(rlKey, points, now, expire);
  }

  /** True while the limiter refuses the key from memory, without asking the database (see `inMemoryBlockOnConsumed`). */
  isBlockedInMemory(rlKey: string): boolean {
    return (this as unknown as { getInMemoryBlockMsBeforeExpire(k: string): number }).getInMemoryBlockMsBeforeExpire(rlKey) > 0;
  }

  _get(rlKey: string): Promise<RateLimitCount | null> {
    return this.counters.get(rlKey, new Date());
  }

  _delete(rlKey: string): Promise<boolean> {
    return this.counters.delete(rlKey);
  }

  /** As rate-limiter-flexible's Prisma store reads a counter. */
  _getRateLimiterRes(_rlKey: string, changedPoints: number, count: RateLimitCount): RateLimiterRes {
    return new RateLimiterRes(
      Math.max(this.points - count.points, 0),
      count.expire !== null ? Math.max(count.expire.getTime() - Date.now(), 0) : -1,
      count.points,
      count.points === changedPoints,
    );
  }
}

/**
 * The per-user limiter, on the shared database, insured by an in-memory one.
 * @remarks Several instances share one database and Teams spreads a user's messages over them: counting in the
 * database (table `rate_limits`) makes the limit the same whichever instance answers. On a client opened by
 * `openDatabase` a message costs one plain-SQL upsert ({@link RateLimiterSqlStore}); on any other client,
 * rate-limiter-flexible's Prisma store does the same in two Prisma queries. Once a user is over the limit, the
 * instance remembers it in memory until the window ends, so a flood costs no more database writes. If the
 * database cannot count, the in-memory limiter takes over (the limit then holds per instance). Expired counters
 * are deleted by the retention sweep.
 */
export function createUserRateLimiter(db: Db, settings: UserRateLimitSettings): RateLimiterAbstract {
  const options = {
    keyPrefix: 'user',
    points: settings.points,
    duration: settings.windowSeconds,
    inMemoryBlockOnConsumed: settings.points + 1,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'user', points: settings.points, duration: settings.windowSeconds }),
  };
  const sql = sqlRunnerOf(db);
  if (sql) return new RateLimiterSqlStore(new RateLimitRepository(sql), options);
  return new RateLimiterPrisma({ ...options, storeClient: db, tableName: 'rateLimitCounter', clearExpiredByTimeout: false });
}

const USER_KEY = Symbol('userRateLimitKey');

/**
 * The counter key of the user behind an activity: a hash of channel and Entra ID (or Teams) id, never the id itself.
 * @remarks Hashed once per turn (the turn prelude and the middleware both need it).
 */
export function userRateLimitKey(context: TurnContext): string | undefined {
  if (context.turnState.has(USER_KEY)) return context.turnState.get(USER_KEY) as string | undefined;
  const from = context.activity.from;
  const id = from?.aadObjectId || from?.id;
  const key = typeof id === 'string' && id ? createHash('sha256').update(`${context.activity.channelId}|${id}`).digest('base64url').slice(0, 22) : undefined;
  context.turnState.set(USER_KEY, key);
  return key;
}

/**
 * Limits how many messages and card actions each user may send (botbuilder middleware).
 * @remarks Over the limit, the activity is not handled: the first refused message gets one polite, localized
 * answer (later ones are dropped silently, so the answer cannot itself become a flood); a refused card action
 * (`invoke`) gets the same text as its invoke response. Teams is answered 200 either way, so it does not retry.
 * If counting fails altogether, the activity is let through (the limit protects availability; it must not
 * become the cause of an outage).
 */
export class UserRateLimitMiddleware implements Middleware {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly logger: Logger,
    private readonly defaultLang: Lang = 'fr',
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const type = context.activity.type;
    if (type !== ActivityTypes.Message && type !== ActivityTypes.Invoke) return next();
    const key = userRateLimitKey(context);
    if (!key) return next();

    let refused: RateLimiterRes | undefined;
    try {
      const counted = turnPreludeOf(context)?.count;
      await this.limiter.consume(key, 1, counted ? { counted } : undefined);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        this.logger.warn({ err }, 'rate limiter unavailable; message let through');
        return next();
      }
      refused = err;
    }
    if (!refused) return next();

    const first = refused.consumedPoints === this.limiter.points + 1;
    const t = translator(resolveLang(context.activity.locale, this.defaultLang));
    const text = t('security:rateLimited', { count: Math.max(1, Math.ceil(refused.msBeforeNext / 1000)) });
    if (first) this.logger.warn({ userKey: key, activityType: type }, 'user over the message rate limit');
    if (type === ActivityTypes.Invoke) {
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text } },
      });
    } else if (first) {
      await context.sendActivity(text);
    }
  }
}
