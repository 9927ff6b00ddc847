import { randomUUID } from 'node:crypto';

export const BOT = { id: '28:bot', name: 'Assistant DMA' };

/** Builds the Teams-shaped activities a help-desk agent sends from the agents' team channel. */
export class TeamsAgent {
  private counter = 0;
  constructor(
    readonly serviceUrl: string,
    readonly teamId: string,
    readonly name = 'Marie Tremblay',
    readonly userId = `29:agent-${randomUUID().slice(0, 8)}`,
  ) {}

  private base(conversationId: string, extra: Record<string, unknown>) {
    return {
      id: `agent-act-${++this.counter}-${randomUUID().slice(0, 6)}`,
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: this.userId, name: this.name, aadObjectId: `aad-${this.userId}` },
      recipient: BOT,
      conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-test' },
      channelData: { team: { id: this.teamId }, channel: { id: this.teamId }, tenant: { id: 'tenant-test' } },
      locale: 'fr-CA',
      ...extra,
    };
  }

  /** A reply in a thread (`conversationId` is the thread: `…;messageid=<root id>`). */
  reply(conversationId: string, text: string) {
    return this.base(conversationId, { type: 'message', text });
  }

  /** A reply in a thread that @mentions the bot (as Teams sends it: `<at>` in the text and a mention entity). */
  replyMentioningBot(conversationId: string, text: string) {
    const mention = `<at>${BOT.name}</at>`;
    return this.base(conversationId, {
      type: 'message',
      text: `${mention} ${text}`,
      entities: [{ type: 'mention', text: mention, mentioned: BOT }],
    });
  }

  /** An Action.Execute on a card posted at the root of the thread. */
  execute(conversationId: string, replyToId: string, verb: string, data: Record<string, unknown>) {
    return this.base(conversationId, { type: 'invoke', name: 'adaptiveCard/action', replyToId, value: { action: { type: 'Action.Execute', verb, data } } });
  }
}

/** The bot being added to a team (what Teams sends on installation). */
export function botAddedToTeam(serviceUrl: string, teamId: string) {
  return {
    type: 'conversationUpdate',
    id: `cu-${teamId}-${randomUUID().slice(0, 6)}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:admin' },
    recipient: BOT,
    conversation: { id: teamId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-test' },
    membersAdded: [{ id: BOT.id }],
    channelData: { eventType: 'teamMemberAdded', team: { id: teamId, name: 'Soutien DMA' }, tenant: { id: 'tenant-test' } },
  };
}
