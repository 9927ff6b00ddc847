import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { OutboundPacer } from '../services/outboundPacer';

/** Activity types that never reach the channel (handled by the adapter or the emulator only). */
const NOT_SENT = new Set<string>([ActivityTypes.InvokeResponse, ActivityTypes.Trace, 'delay']);

/**
 * Paces everything the bot sends, per conversation, under Teams' limits (botbuilder middleware).
 * @remarks Hooks `context.onSendActivities`, so what a turn sends (replies, `sendActivities`, updates made through
 * the turn context) is counted. The outbox's proactive posts (`ProactiveSender`) call the connector directly and are
 * not paced here: each managers' card opens its own channel thread, and a requester gets a notice per change.
 */
export class OutboundPacingMiddleware implements Middleware {
  constructor(private readonly pacer: OutboundPacer) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    context.onSendActivities(async (ctx, activities, sendNow) => {
      const perConversation = new Map<string, number>();
      for (const activity of activities) {
        if (NOT_SENT.has(activity.type ?? '')) continue;
        const id = activity.conversation?.id ?? ctx.activity.conversation?.id;
        if (id) perConversation.set(id, (perConversation.get(id) ?? 0) + 1);
      }
      for (const [conversationId, n] of perConversation) await this.pacer.acquire(conversationId, n);
      return sendNow();
    });
    await next();
  }
}
