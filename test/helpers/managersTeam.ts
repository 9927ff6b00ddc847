import { randomUUID } from 'node:crypto';
import type { RunningApp } from '../../bot/app';
import type { FakeConnector } from './fakeConnector';
import { actionData, inputValues, lastCard } from './dialogHarness';
import { postActivity, visibleText, type TeamsUser } from './teams';

/** The managers' team id as Teams sends it in channelData.team.id (its General channel has the same id). */
export const MANAGERS_TEAM_ID = '19:dma-managers@thread.tacv2';

/** Where a card the bot posted in a channel lives. */
export interface PostedCard {
  conversationId: string;
  activityId: string;
  card: any;
}

/** Builds Teams-shaped activities from a member of a team's channel (an access manager). */
export class TeamsChannelMember {
  constructor(
    readonly serviceUrl: string,
    readonly name: string,
    readonly userId = `29:mgr-${randomUUID().slice(0, 8)}`,
    readonly teamId = MANAGERS_TEAM_ID,
    readonly locale = 'fr-CA',
  ) {}

  private base(conversationId: string, extra: Record<string, unknown>) {
    return {
      id: `act-${randomUUID()}`,
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: this.userId, name: this.name, aadObjectId: `aad-${this.userId}` },
      conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-test' },
      recipient: { id: '28:bot', name: 'Assistant DMA' },
      locale: this.locale,
      channelData: { team: { id: this.teamId }, channel: { id: this.teamId }, tenant: { id: 'tenant-test' } },
      ...extra,
    };
  }

  /** The bot added to the team (Teams' conversationUpdate in the General channel). */
  installBot() {
    return this.base(this.teamId, { type: 'conversationUpdate', membersAdded: [{ id: '28:bot' }], channelData: { eventType: 'teamMemberAdded', team: { id: this.teamId }, tenant: { id: 'tenant-test' } } });
  }

  /** A message in the General channel, mentioning the bot. */
  message(text: string) {
    return this.base(this.teamId, { type: 'message', text: `<at>Assistant DMA</at> ${text}`, entities: [{ type: 'mention', mentioned: { id: '28:bot', name: 'Assistant DMA' }, text: '<at>Assistant DMA</at>' }] });
  }

  /** Action.Execute on a card the bot posted: an invoke in the card's thread. */
  execute(card: PostedCard, verb: string, extraData: Record<string, unknown> = {}) {
    const data = { ...findAction(card.card, verb).data, ...extraData };
    return this.base(card.conversationId, { type: 'invoke', name: 'adaptiveCard/action', replyToId: card.activityId, value: { action: { type: 'Action.Execute', verb, data } } });
  }

  /** Action.Submit on a card (older clients): a message with value. */
  submit(card: PostedCard, verb: string, extraData: Record<string, unknown> = {}) {
    const data = { ...findAction(card.card, verb).data, ...extraData };
    return this.base(card.conversationId, { type: 'message', replyToId: card.activityId, value: data });
  }
}

/** The connector call that posted a request's managers' card (a new thread in the channel, its summary the reference). */
export const isCardPostFor = (reference: string) => (c: { method: string; path: string; body: any }) =>
  c.method === 'POST' && c.path === '/v3/conversations' && c.body?.activity?.summary === reference;

/** A request's managers' card as Teams shows it now: its last update (PUT), else its post. */
export function currentManagersCard(
  connector: FakeConnector,
  request: { reference: string; managerCardActivityId: string | null; managerCardConversationId: string | null },
): PostedCard {
  if (!request.managerCardActivityId || !request.managerCardConversationId) throw new Error('card not posted');
  const put = connector.calls.filter((c) => c.method === 'PUT' && c.activityId === request.managerCardActivityId).pop();
  const body = put ? put.body : connector.calls.filter(isCardPostFor(request.reference)).pop()!.body.activity;
  return { conversationId: request.managerCardConversationId, activityId: request.managerCardActivityId, card: body.attachments[0].content };
}

/** The action with this verb, anywhere in a card (ShowCard included). */
export function findAction(card: any, verb: string): any {
  const found: any[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof n.type === 'string' && n.type.startsWith('Action.') && (n.verb === verb || n.data?.verb === verb)) found.push(n);
    Object.values(n).forEach(walk);
  };
  walk(card);
  if (!found.length) throw new Error(`no action ${verb} on the card`);
  return found[0];
}

/** Verbs of every action of a card. */
export function cardVerbs(card: any): string[] {
  const verbs: string[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof n.type === 'string' && n.type.startsWith('Action.') && (n.verb || n.data?.verb)) verbs.push(n.verb ?? n.data.verb);
    Object.values(n).forEach(walk);
  };
  walk(card?.actions);
  return verbs;
}

/** Card text (TextBlocks, facts) for assertions. */
export function cardText(card: any): string {
  const out: string[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof n.text === 'string') out.push(n.text);
    if (n.title && n.value) out.push(`${n.title}: ${n.value}`);
    Object.values(n).forEach(walk);
  };
  walk(card?.body);
  return out.join('\n');
}

/** Posts an activity and fails the test unless the bot accepted it. */
export async function post(app: Pick<RunningApp, 'port'>, activity: unknown): Promise<any> {
  const res = await postActivity(app.port, activity);
  if (res.status !== 200) throw new Error(`bot answered ${res.status}`);
  return res.body;
}

/** Files a request through the real intake in the requester's chat and returns its reference. */
export async function fileRequest(app: Pick<RunningApp, 'port'>, connector: FakeConnector, user: TeamsUser, kind: 'access_with_code' | 'access_without_code' | 'withdrawal'): Promise<string> {
  const replies = async (activity: unknown) => {
    const before = connector.sentTo(user.conversationId).length;
    await post(app, activity);
    return connector.sentTo(user.conversationId).slice(before);
  };
  let r: any[];
  if (kind === 'withdrawal') {
    await replies(user.message('Bonjour'));
    r = await replies(user.submit({ verb: 'menu.withdraw', cardId: 'menu' }));
    r = await replies(user.submit({ ...actionData(lastCard(r), 'withdraw.submit'), lastName: 'Gagnon', firstName: 'Julie', employeeNumber: '998877', jobTitle: 'Travailleuse sociale', email: 'julie.gagnon@example.org' }));
  } else {
    r = await replies(user.message('je veux accéder au registre des DMA'));
    r = await replies(user.submit({ ...actionData(lastCard(r), 'intake.triage'), requesterRole: 'physician', hasRamqCode: kind === 'access_with_code' ? 'yes' : 'no' }));
    const form = lastCard(r);
    const fields = kind === 'access_with_code' ? { ramqUserCode: 'tuser001' } : { employeeNumber: '123456', jobTitle: 'Médecin de famille' };
    r = await replies(user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), practiceLocation: 'CHU de Québec', ...fields }));
  }
  r = await replies(user.submit(actionData(lastCard(r), 'intake.confirm')));
  const reference = visibleText(r).match(/DMA-\d{4}-\d{5}/)?.[0];
  if (!reference) throw new Error(`not filed: ${visibleText(r)}`);
  return reference;
}
