import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { ProcessedActivityRepository } from '../../data/processedActivityRepository';
import { turnPreludeOf } from './turnPreludeState';

const CLAIM_KEY = Symbol('duplicateDeliveryKey');

/** The key of an incoming activity: channel, conversation and activity id. */
export function deliveryKey(context: TurnContext): string | undefined {
  const a = context.activity;
  if (!a.id || !a.conversation?.id) return undefined;
  return `${a.channelId}|${a.conversation.id}|${a.id}`;
}

/** The key claimed for an activity: messages and card actions (invokes) that carry an id; none for anything else. */
export function claimKeyOf(context: TurnContext): string | undefined {
  const type = context.activity.type;
  return type === ActivityTypes.Message || type === ActivityTypes.Invoke ? deliveryKey(context) : undefined;
}

/**
 * Drops a second delivery of the same activity (Teams retries slow turns with the same id).
 * @remarks When the first delivery fails, its key is released so that the retry is handled: nothing is lost.
 */
export class DuplicateDeliveryMiddleware implements Middleware {
  constructor(private readonly repo: ProcessedActivityRepository) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const a = context.activity;
    const key = claimKeyOf(context);
    if (!key) return next();
    // Claimed already by the turn prelude's opening statement when it ran.
    const prelude = turnPreludeOf(context);
    const claimed = prelude?.claimKey === key ? prelude.claimed : this.repo.claim(key);
    if (!(await claimed)) {
      if (a.type === 'invoke') {
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: '' } } });
      }
      return;
    }
    context.turnState.set(CLAIM_KEY, key);
    try {
      await next();
    } catch (err) {
      await this.repo.release(key).catch(() => undefined);
      throw err;
    }
  }
}
