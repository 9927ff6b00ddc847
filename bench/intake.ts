import type { TurnReplies } from './connector';

/** What the load generator needs to know about one conversation. */
export interface BenchConversation {
  userId: string;
  conversationId: string;
  serviceUrl: string;
  counter: number;
}

let nextConversation = 0;

/** A fresh Teams personal conversation with a fresh user (each intake is a new requester). */
export function newConversation(serviceUrl: string, tag: string): BenchConversation {
  const n = ++nextConversation;
  return { userId: `29:bench-${tag}-${process.pid}-${n}`, conversationId: `a:bench-${tag}-${process.pid}-${n}`, serviceUrl, counter: 0 };
}

/** A Teams-shaped activity of the conversation (same shape as test/helpers/teams.ts). */
export function activity(c: BenchConversation, extra: Record<string, unknown>): Record<string, unknown> & { id: string } {
  return {
    id: `bench-${++c.counter}`,
    channelId: 'msteams',
    serviceUrl: c.serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: c.userId, name: 'Dre Marie-Ève Tremblay', aadObjectId: `aad-${c.userId}` },
    conversation: { id: c.conversationId, conversationType: 'personal', tenantId: 'tenant-bench' },
    recipient: { id: '28:bot', name: 'Assistant DMA' },
    locale: 'fr-CA',
    channelData: { tenant: { id: 'tenant-bench' } },
    ...extra,
  };
}

/** The data of the card action with this verb in a reply (an Action.Submit's `data`), if any. */
export function actionData(body: unknown, verb: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    const record = node as Record<string, unknown>;
    const data = record.data as Record<string, unknown> | undefined;
    if (typeof record.type === 'string' && record.type.startsWith('Action.') && data && data.verb === verb) {
      found = data;
      return;
    }
    for (const value of Object.values(record)) walk(value);
  };
  walk(body);
  return found;
}

/** One step of the intake: the activity to send, given the replies to the previous step. */
export interface IntakeStep {
  name: string;
  build(c: BenchConversation, previous: TurnReplies | undefined): Record<string, unknown> & { id: string };
}

/** Card data from the previous reply, or a placeholder when the bot does not send cards (the echo bot). */
function cardData(previous: TurnReplies | undefined, verb: string): Record<string, unknown> {
  return actionData(previous?.lastBody, verb) ?? { verb, cardId: 'no-card' };
}

/**
 * A full access intake as Teams sends it: free text, then three Action.Submit messages (triage, form, confirmation).
 * @remarks The same activities go to the echo bot, which just echoes them.
 */
export const ACCESS_INTAKE: IntakeStep[] = [
  { name: 'message', build: (c) => activity(c, { type: 'message', text: 'je veux accéder au registre des DMA' }) },
  {
    name: 'triage',
    build: (c, previous) =>
      activity(c, { type: 'message', value: { ...cardData(previous, 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' } }),
  },
  {
    name: 'form',
    build: (c, previous) =>
      activity(c, {
        type: 'message',
        value: {
          ...cardData(previous, 'intake.submit'),
          lastName: 'Tremblay',
          firstName: 'Marie-Ève',
          email: 'marie-eve.tremblay@example.org',
          practiceLocation: 'CHU de Québec – Hôpital de l’Enfant-Jésus',
          ramqUserCode: 'mtrem001',
        },
      }),
  },
  { name: 'confirm', build: (c, previous) => activity(c, { type: 'message', value: cardData(previous, 'intake.confirm') }) },
];

const REFERENCE = /DMA-\d{4}-\d{5}/;

/** The filed request's reference the confirmation turn's replies show, if any. */
export function filedReference(replies: TurnReplies | undefined): string | undefined {
  for (const body of replies?.bodies ?? []) {
    const found = REFERENCE.exec(JSON.stringify(body ?? ''));
    if (found) return found[0];
  }
  return undefined;
}
