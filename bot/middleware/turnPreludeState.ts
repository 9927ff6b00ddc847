import type { TurnContext } from 'botbuilder';
import type { RateLimitCount } from '../../data/rateLimitRepository';

/** What the turn prelude started for this turn, for the middlewares that would otherwise query (see turnPrelude.ts). */
export interface TurnPrelude {
  /** The duplicate-delivery key it claims. */
  claimKey: string;
  claimed: Promise<boolean>;
  /** The user's counter after this message, when the prelude counted it (the limiter's own key). */
  count?: { key: string; result: Promise<RateLimitCount> };
}

const PRELUDE = Symbol('turnPrelude');

export function setTurnPrelude(context: TurnContext, prelude: TurnPrelude): void {
  context.turnState.set(PRELUDE, prelude);
}

/** The prelude of this turn, if one ran. */
export function turnPreludeOf(context: TurnContext): TurnPrelude | undefined {
  return context.turnState.get(PRELUDE) as TurnPrelude | undefined;
}
