import type { AuditLog } from '../../domain/privacy/auditLog';
import { randomUUID } from 'node:crypto';
import { MessageFactory, TurnContext, type Activity } from 'botbuilder';
import { HANDOFF_ACCEPT_VERB, HANDOFF_END_VERB, HANDOFF_TRANSCRIPT_VERB } from '../../cards/handoffAgent';
import { cardAttachment } from '../../cards/render';
import { welcomeCard } from '../../cards/welcome';
import type { HandoffSessionRecord } from '../../data/handoffRepository';
import type { AgentActionOutcome, HandoffAgent, HandoffService } from '../../domain/handoff/handoffService';
import { isAgentEndCommand, isUserLeaveCommand, plainMentions } from '../../domain/handoff/text';
import { translator, type Lang, type Translate } from '../../domain/i18n';
import { agentLabel } from '../../dialogs/handoffMessages';
import type { TurnInput } from '../../dialogs/turnInput';
import type { TurnInterceptor, TurnScope } from '../helpdeskBot';
import type { Logger } from '../logger';
import { sameTeam, teamOf } from '../services/teamChannels';
import { transcriptActivities } from './handoffRender';

export interface HandoffRelayOptions {
  /** Teams team id of the help-desk agents (`channelData.team.id`). */
  agentsTeamId?: string;
  /** The access managers' team: its members may also read transcripts (from a request's card). */
  managersTeamId?: string;
  /** The access log: a transcript shown from a request's card is a read of that request's data. */
  audit?: AuditLog;
  /** Language of the agents' side (cards and thread notices). */
  agentsLang: Lang;
  logger: Logger;
  /**
   * What the conversation's own state says about a handoff, so that most turns need no database query:
   * only a conversation marked (or not yet known) is looked up, and the mark is corrected from what the lookup finds.
   */
  marker?: HandoffMarker;
}

/** A per-conversation hint kept in conversation state: may this conversation have an open handoff? */
export interface HandoffMarker {
  /** False only when the conversation is known to have no open handoff (it was never handed off, or the last lookup found none). */
  mayBeOpen(context: TurnContext): Promise<boolean>;
  set(context: TurnContext, open: boolean): Promise<void>;
}

function numberFrom(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,12}$/.test(value)) return Number(value);
  return undefined;
}

function agentOf(activity: Partial<Activity>): HandoffAgent {
  return { id: activity.from?.id ?? '', aadObjectId: activity.from?.aadObjectId ?? null, name: activity.from?.name ?? null };
}

function mentionsBot(activity: Activity): boolean {
  return (activity.entities ?? []).some((e) => e.type === 'mention' && (e as { mentioned?: { id?: string } }).mentioned?.id === activity.recipient?.id);
}

/**
 * The agents' relay, as a turn interceptor placed before the conversation router.
 * - In a user's chat with a waiting or active handoff, the bot runs no dialog: each message goes to the
 *   transcript and the agent's thread; « annuler » / « terminer » give the user back to the bot.
 * - In the agents' team: `handoff.accept`, `handoff.end`, `handoff.transcript` from the card, and every reply in
 *   a card's thread (with or without an @mention of the bot) relayed to the user; « /fin » ends. Other channel
 *   messages in that team are left unanswered (the bot reads them all with ChannelMessage.Read.Group).
 */
export function handoffRelayInterceptor(service: HandoffService, options: HandoffRelayOptions): TurnInterceptor {
  const agentsT = translator(options.agentsLang);

  const reply = async (context: TurnContext, text: string) => {
    await context.sendActivity({ type: 'message', text, textFormat: 'plain' });
  };

  const explainAgentFailure = async (context: TurnContext, outcome: Extract<AgentActionOutcome, { ok: false }>) => {
    if (outcome.reason === 'taken') await reply(context, agentsT('handoff:thread.alreadyTaken', { agent: outcome.session?.agentName ?? '?' }));
    else if (outcome.reason === 'not_active') await reply(context, agentsT('handoff:thread.notTaken'));
    else if (outcome.reason === 'closed') await reply(context, agentsT('handoff:thread.closed'));
    else await reply(context, agentsT('handoff:thread.notFound'));
  };

  /** A card verb from the agents' (or, for transcripts, the managers') team. */
  const agentAction = async (context: TurnContext, verb: string, data: Record<string, unknown>, inAgentsTeam: boolean): Promise<boolean> => {
    const sessionId = numberFrom(data.sessionId);
    if (verb === HANDOFF_TRANSCRIPT_VERB) {
      const requestId = numberFrom(data.requestId);
      const sessions =
        sessionId !== undefined
          ? [await service.findById(sessionId)].filter((s): s is HandoffSessionRecord => s !== null)
          : requestId !== undefined
            ? (await service.sessionsForRequest(requestId)).slice(0, 3)
            : [];
      if (!sessions.length) {
        await reply(context, agentsT(sessionId !== undefined ? 'handoff:thread.notFound' : 'handoff:transcript.none'));
        return true;
      }
      const from = context.activity.from;
      await options.audit?.record({ userId: from.id, aadObjectId: from.aadObjectId ?? null }, requestId ?? null, 'transcript.viewed');
      await context.sendActivities(await transcriptActivities(service, sessions, agentsT, options.agentsLang));
      return true;
    }
    if (!inAgentsTeam || (verb !== HANDOFF_ACCEPT_VERB && verb !== HANDOFF_END_VERB)) return false;
    if (sessionId === undefined) {
      await reply(context, agentsT('handoff:thread.notFound'));
      return true;
    }
    const agent = agentOf(context.activity);
    const outcome = verb === HANDOFF_ACCEPT_VERB ? await service.accept(sessionId, numberFrom(data.version), agent) : await service.endByAgent(sessionId, agent);
    if (!outcome.ok) await explainAgentFailure(context, outcome);
    else if (!outcome.already) options.logger.info({ handoffId: sessionId, verb }, verb === HANDOFF_ACCEPT_VERB ? 'handoff taken by an agent' : 'handoff ended by an agent');
    // Success: the card is updated in place and the thread and the user are told through the outbox.
    return true;
  };

  /** A message in the agents' team: a reply in a handoff card's thread is relayed. */
  const agentMessage = async (context: TurnContext, teamId: string, sharedWithManagers: boolean): Promise<boolean> => {
    const activity = context.activity;
    if (activity.type !== 'message') return false;
    const session = await service.findByThread(teamId, activity.conversation.id);
    if (!session) {
      if (sharedWithManagers) return false;
      if (mentionsBot(activity)) await reply(context, agentsT('handoff:thread.help'));
      return true;
    }
    // Accept replies that @mention the bot: the mention is not part of what the user should read.
    const text = plainMentions(TurnContext.removeRecipientMention(activity) ?? activity.text ?? '');
    if (!text) return true;
    const agent = agentOf(activity);
    if (isAgentEndCommand(text)) {
      const outcome = await service.endByAgent(session.id, agent);
      if (!outcome.ok) await explainAgentFailure(context, outcome);
      return true;
    }
    const outcome = await service.agentWrote(session, agent, text);
    if (!outcome.ok) {
      const key = outcome.reason === 'withheld' ? 'handoff:thread.agentWithheld' : outcome.reason === 'waiting' ? 'handoff:thread.notTaken' : 'handoff:thread.closed';
      await reply(context, agentsT(key));
    }
    return true;
  };

  /** A turn of a user whose conversation is handed off. */
  const userTurn = async (context: TurnContext, input: TurnInput, session: HandoffSessionRecord): Promise<boolean> => {
    const t: Translate = translator(session.lang === 'en' ? 'en' : 'fr');
    if (input.kind === 'text') {
      if (isUserLeaveCommand(input.text)) {
        const left = await service.userLeaves(session);
        if (left.outcome !== 'none') {
          await context.sendActivity(t(left.outcome === 'cancelled' ? 'handoff:user.cancelled' : 'handoff:user.endedByUser'));
          await context.sendActivity(MessageFactory.attachment(cardAttachment(welcomeCard(t, randomUUID()))));
          return true;
        }
        return false; // closed meanwhile: the bot answers as usual
      }
      const outcome = await service.userWrote(session, input.text);
      if (outcome === 'withheld') await context.sendActivity(t('handoff:user.secretWithheld'));
      return true;
    }
    if (input.kind === 'action') {
      const agent = agentLabel(t, session.agentName);
      if (session.status === 'waiting') await context.sendActivity(t(input.verb === 'menu.agent' ? 'handoff:user.alreadyWaiting' : 'handoff:user.busyWaiting'));
      else await context.sendActivity(t(input.verb === 'menu.agent' ? 'handoff:user.alreadyActive' : 'handoff:user.busyActive', { agent }));
      return true;
    }
    if ((context.activity.attachments ?? []).length > 0) await context.sendActivity(t('handoff:user.onlyText'));
    return true;
  };

  return {
    handleInput: async (context: TurnContext, input: TurnInput, _scope: TurnScope): Promise<boolean> => {
      const team = teamOf(context.activity);
      if (team) {
        const inAgentsTeam = Boolean(options.agentsTeamId) && sameTeam(team.teamId, options.agentsTeamId!);
        const inManagersTeam = Boolean(options.managersTeamId) && sameTeam(team.teamId, options.managersTeamId!);
        if (input.kind === 'action' && input.verb.startsWith('handoff.') && (inAgentsTeam || inManagersTeam)) {
          return agentAction(context, input.verb, input.data, inAgentsTeam);
        }
        if (!inAgentsTeam || input.kind === 'action') return false;
        // When the managers share the agents' team, what is not a handoff thread is theirs (« file », their cards).
        return agentMessage(context, team.teamId, inManagersTeam);
      }
      if (options.marker && !(await options.marker.mayBeOpen(context))) return false;
      const session = await service.openFor(context.activity.conversation.id);
      await options.marker?.set(context, session !== null);
      if (!session) return false;
      return userTurn(context, input, session);
    },
  };
}

/** Every verb the relay answers (for documentation and tests). */
export const HANDOFF_RELAY_VERBS = [HANDOFF_ACCEPT_VERB, HANDOFF_END_VERB, HANDOFF_TRANSCRIPT_VERB] as const;
