import { randomUUID } from 'node:crypto';
import { MessageFactory, type TurnContext } from 'botbuilder';
import { managerQueueCard } from '../../cards/managerQueue';
import { cardAttachment } from '../../cards/render';
import { resolveLang, translator } from '../../domain/i18n';
import { MANAGER_VERBS, REGISTRATION_DONE_VERB, isManagerVerb } from '../../domain/requests/lifecycle';
import type { AuditLog } from '../../domain/privacy/auditLog';
import type { ManagerOutcome, ManagerService } from '../../domain/requests/managerService';
import type { Actor } from '../../domain/requests/requestService';
import type { TurnInput } from '../../dialogs/turnInput';
import type { Config } from '../config';
import type { TurnInterceptor, TurnScope } from '../helpdeskBot';
import type { Logger } from '../logger';
import { sameTeam, teamOf } from '../services/teamChannels';

/** The managers' queue verb (also « file » typed in their channel). */
export const QUEUE_VERB = 'menu.queue';

const QUEUE_WORDS = new Set(['file', 'la file', 'file d attente', 'queue', 'liste', 'demandes']);


/** Text without Teams' « <at>Bot</at> » mention, folded for matching. */
function foldCommand(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function requestIdOf(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  if (typeof raw === 'string' && /^\d{1,12}$/.test(raw)) return Number(raw);
  return undefined;
}

export interface ManagersChannelDeps {
  config: Config;
  logger: Logger;
  managers: ManagerService;
  clock: () => Date;
  /** The access log: the queue view and every manager action are recorded (who, when, which request). */
  audit?: AuditLog;
}

/**
 * The access managers' side of the conversation: card verbs (`request.claim`, `request.codeSent`,
 * `request.complete`, `request.reject`) and the queue (« file », `menu.queue`), accepted only from the
 * managers' team; and the requester's `request.registrationDone` from their own chat.
 * @remarks A thin edge: rules live in {@link ManagerService}; the card is refreshed through the outbox.
 */
export class ManagersChannel implements TurnInterceptor {
  constructor(private readonly deps: ManagersChannelDeps) {}

  /** Whether an activity comes from the configured managers' team. */
  isManagersTeam(context: TurnContext): boolean {
    const team = teamOf(context.activity);
    const configured = this.deps.config.ACCESS_MANAGERS_TEAM_ID;
    return !!team && !!configured && sameTeam(team.teamId, configured);
  }

  async handleInput(context: TurnContext, input: TurnInput, scope: TurnScope): Promise<boolean> {
    const inManagersTeam = this.isManagersTeam(context);
    if (input.kind === 'action') {
      if (input.verb === REGISTRATION_DONE_VERB) {
        await this.registrationDone(context, scope, input.data);
        return true;
      }
      if (isManagerVerb(input.verb) || input.verb === QUEUE_VERB) {
        if (!inManagersTeam) {
          await this.refuseOutside(context, scope, input.verb);
          return true;
        }
        if (input.verb === QUEUE_VERB) await this.showQueue(context, scope);
        else await this.act(context, scope, MANAGER_VERBS[input.verb], input.data);
        return true;
      }
      if (inManagersTeam) {
        await context.sendActivity(scope.t('managers:replies.channelHelp'));
        return true;
      }
      return false;
    }
    if (!inManagersTeam) return false;
    if (input.kind === 'text') {
      if (QUEUE_WORDS.has(foldCommand(input.text))) await this.showQueue(context, scope);
      else await context.sendActivity(scope.t('managers:replies.channelHelp'));
    }
    return true;
  }

  /** When the bot is installed in the managers' team, it says what it will post there. */
  async onMembershipEvent(context: TurnContext): Promise<void> {
    const a = context.activity;
    const botAdded =
      (a.type === 'installationUpdate' && /^add/.test(String(a.action ?? 'add'))) ||
      (a.type === 'conversationUpdate' && (a.membersAdded ?? []).some((m) => m.id === a.recipient?.id));
    if (!botAdded || !this.isManagersTeam(context)) return;
    const t = translator(resolveLang(this.deps.config.DEFAULT_LOCALE));
    await context.sendActivity(t('managers:install.welcome'));
  }

  private actor(context: TurnContext): Actor {
    const from = context.activity.from;
    return { userId: from.id, aadObjectId: from.aadObjectId ?? null, name: from.name ?? null };
  }

  private async act(context: TurnContext, scope: TurnScope, action: (typeof MANAGER_VERBS)[keyof typeof MANAGER_VERBS], data: Record<string, unknown>): Promise<void> {
    const id = requestIdOf(data.requestId);
    if (id === undefined) {
      await context.sendActivity(scope.t('managers:replies.notFound'));
      return;
    }
    const actor = this.actor(context);
    const outcome = await this.deps.managers.act(actor, action, id, { reason: data.reason });
    if (outcome.ok) await this.deps.audit?.record(actor, id, `manager.${action}`);
    if (outcome.ok) {
      this.deps.logger.info({ requestId: id, action, status: outcome.request.status }, 'request changed by an access manager');
      return;
    }
    this.deps.logger.info({ requestId: id, action, refused: outcome.reason }, 'access manager action refused');
    await context.sendActivity(this.refusalText(scope, outcome));
  }

  private refusalText(scope: TurnScope, outcome: Extract<ManagerOutcome, { ok: false }>): string {
    const { t } = scope;
    const r = outcome.request;
    if (!r) return t('managers:replies.notFound');
    const status = t(`intake:statuses.${r.status}`);
    switch (outcome.reason) {
      case 'taken':
        return t('managers:replies.taken', { name: r.assigneeName ?? r.assigneeId ?? '—', reference: r.reference });
      case 'already_yours':
        return t('managers:replies.alreadyYours', { reference: r.reference });
      case 'closed':
        return t('managers:replies.closed', { reference: r.reference, status });
      case 'reason_required':
        return t('managers:replies.reasonRequired', { reference: r.reference });
      default:
        return t('managers:replies.notAllowed', { reference: r.reference, status });
    }
  }

  private async showQueue(context: TurnContext, scope: TurnScope): Promise<void> {
    const queue = await this.deps.managers.queue();
    // The queue shows the subjects' names: the read is recorded before it is shown.
    await this.deps.audit?.recordMany(this.actor(context), queue.requests.map((r) => r.id), 'queue.viewed');
    const card = managerQueueCard(scope.t, scope.lang, { cardId: randomUUID(), now: this.deps.clock(), requests: queue.requests, counts: queue.counts, total: queue.total });
    await context.sendActivity(MessageFactory.attachment(cardAttachment(card)));
  }

  /** Card verbs of the managers used anywhere else: refused politely, and logged (no personal data). */
  private async refuseOutside(context: TurnContext, scope: TurnScope, verb: string): Promise<void> {
    const a = context.activity;
    this.deps.logger.warn(
      { verb, conversationType: a.conversation?.conversationType ?? null, teamId: teamOf(a)?.teamId ?? null },
      'access manager action refused outside the managers team',
    );
    await context.sendActivity(scope.t('managers:replies.outsideTeam'));
  }

  private async registrationDone(context: TurnContext, scope: TurnScope, data: Record<string, unknown>): Promise<void> {
    const { t } = scope;
    const id = requestIdOf(data.requestId);
    const outcome = id === undefined ? ({ ok: false, reason: 'not_found' } as const) : await this.deps.managers.registrationDone(this.actor(context), id);
    if (outcome.ok) {
      await context.sendActivity(t(outcome.already ? 'managers:notices.registrationAlready' : 'managers:notices.registrationThanks', { reference: outcome.request.reference }));
    } else if (outcome.reason === 'not_allowed' && outcome.request) {
      await context.sendActivity(t('managers:notices.registrationNotAllowed', { reference: outcome.request.reference, status: t(`intake:statuses.${outcome.request.status}`) }));
    } else {
      await context.sendActivity(t('dialogs:requests.notFound'));
    }
  }
}
