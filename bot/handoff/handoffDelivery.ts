import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { cardAttachment } from '../../cards/render';
import { welcomeCard } from '../../cards/welcome';
import type { OutboxRecord } from '../../data/outboxRepository';
import {
  HANDOFF_CARD_KIND,
  HANDOFF_TO_AGENTS_KIND,
  HANDOFF_TO_USER_KIND,
  userTarget,
  type HandoffCardPayload,
  type HandoffService,
  type HandoffToAgentsPayload,
  type HandoffToUserPayload,
} from '../../domain/handoff/handoffService';
import { translator, type Lang } from '../../domain/i18n';
import { agentLabel, waitTimeoutText } from '../../dialogs/handoffMessages';
import type { DeliveryResult, OutboxDispatcher } from '../services/outboxDispatcher';
import type { ProactiveSender } from '../services/proactive';
import { agentCardActivity, type RequestsOf } from './handoffRender';

export interface HandoffDeliveryDeps {
  service: HandoffService;
  proactive: ProactiveSender;
  requestsOf: RequestsOf;
  /** Language of the agents' side. */
  agentsLang: Lang;
  clock: () => Date;
}

/** Plain text (no markdown, no HTML): what people typed is shown as they typed it. */
const plain = (text: string): Partial<Activity> => ({ type: 'message', text, textFormat: 'plain' });

/**
 * Registers the outbox handlers of the agents' relay. Each renders from the database at delivery time, so a
 * retried or late delivery shows the current state; payloads carry ids only.
 * - `handoff.card`: posts the agents' card (a new thread in the agents' channel) and records where, or updates it in place.
 * - `handoff.toAgents`: a message in the card's thread (a user's message, taken, ended…).
 * - `handoff.toUser`: a message in the user's chat (taken, an agent's reply under their first name, ended, long wait).
 */
export function registerHandoffDelivery(dispatcher: OutboxDispatcher, deps: HandoffDeliveryDeps): void {
  const { service, proactive } = deps;
  const agentsT = translator(deps.agentsLang);

  dispatcher.register<HandoffCardPayload>(HANDOFF_CARD_KIND, {
    deliver: async (m: OutboxRecord<HandoffCardPayload>): Promise<DeliveryResult> => {
      const session = await service.findById(m.payload.sessionId);
      if (!session) return {};
      const posted = session.cardActivityId && session.cardConversationId ? { activityId: session.cardActivityId, conversationId: session.cardConversationId } : null;
      if (m.payload.op === 'post') {
        if (posted) return posted; // delivered before a restart: do not post it twice
        if (session.status === 'cancelled') return {}; // the user left before any agent could see it
      } else if (!posted) {
        return {}; // the card was never posted (the user left first): nothing to update
      }
      const activity = await agentCardActivity({ service, requestsOf: deps.requestsOf, t: agentsT, lang: deps.agentsLang, now: deps.clock() }, session);
      if (posted) {
        await proactive.update(m.target, posted, activity);
        return posted;
      }
      const created = await proactive.send(m.target, activity);
      await service.cardPosted(session.id, created);
      return created;
    },
  });

  dispatcher.register<HandoffToAgentsPayload>(HANDOFF_TO_AGENTS_KIND, {
    deliver: async (m: OutboxRecord<HandoffToAgentsPayload>): Promise<DeliveryResult> => {
      const session = await service.findById(m.payload.sessionId);
      if (!session?.cardActivityId || !session.cardConversationId) return {};
      const user = session.userName?.trim() || agentsT('handoff:card.unknownUser');
      let text: string;
      switch (m.payload.notice) {
        case 'message': {
          const message = m.payload.messageId ? await service.message(m.payload.messageId) : null;
          if (!message?.text) return {};
          text = agentsT('handoff:thread.userMessage', { user, text: message.text });
          break;
        }
        case 'withheld':
          text = agentsT('handoff:thread.withheld', { user });
          break;
        case 'taken': {
          const queued = (await service.messages(session.id, { direction: 'user', upToId: m.payload.upToMessageId ?? 0 })).filter((q) => q.text !== null);
          text = agentsT('handoff:thread.taken', { agent: session.agentName ?? '?', user });
          if (queued.length) text += `\n\n${agentsT('handoff:thread.queuedTitle')}\n${queued.map((q) => `- ${q.text}`).join('\n')}`;
          break;
        }
        case 'endedByUser':
          text = agentsT('handoff:thread.endedByUser', { user });
          break;
        default:
          text = agentsT('handoff:thread.endedByAgent', { agent: session.endedByName ?? session.agentName ?? '?' });
      }
      return proactive.reply(m.target, { conversationId: session.cardConversationId, activityId: session.cardActivityId }, plain(text));
    },
  });

  dispatcher.register<HandoffToUserPayload>(HANDOFF_TO_USER_KIND, {
    deliver: async (m: OutboxRecord<HandoffToUserPayload>): Promise<DeliveryResult> => {
      const session = await service.findById(m.payload.sessionId);
      if (!session) return {};
      const t = translator(session.lang === 'en' ? 'en' : 'fr');
      const target = userTarget(session);
      switch (m.payload.notice) {
        case 'accepted':
          return proactive.send(target, plain(t('handoff:user.accepted', { agent: agentLabel(t, session.agentName) })));
        case 'message': {
          const message = m.payload.messageId ? await service.message(m.payload.messageId) : null;
          if (!message?.text) return {};
          return proactive.send(target, plain(t('handoff:user.agentMessage', { agent: message.authorName ?? t('handoff:user.someone'), text: message.text })));
        }
        case 'endedByAgent':
          return proactive.send(target, {
            type: 'message',
            text: t('handoff:user.endedByAgent', { agent: agentLabel(t, session.endedByName ?? session.agentName) }),
            attachments: [cardAttachment(welcomeCard(t, randomUUID()))],
          });
        default:
          // Taken or left meanwhile: the long-wait notice no longer applies.
          if (session.status !== 'waiting') return {};
          return proactive.send(target, { type: 'message', text: waitTimeoutText(t, session.lang === 'en' ? 'en' : 'fr', deps.clock(), session.lastRoute) });
      }
    },
  });
}
