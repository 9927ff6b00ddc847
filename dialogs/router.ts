import { randomUUID } from 'node:crypto';
import { MessageFactory, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { DialogSet, type DialogState } from './framework';
import { knowledgeAnswerCard } from '../cards/answer';
import { cardAttachment, type AdaptiveCardJson } from '../cards/render';
import { requestListCard } from '../cards/requestList';
import { welcomeCard } from '../cards/welcome';
import { looksLikeSecret } from '../domain/intake/secrets';
import { AUDIT_ACTIONS } from '../domain/privacy/auditLog';
import type { RequestKind, RequestStatus } from '../domain/intake/kinds';
import { classifyRoute, isRouteId, type RouteId } from '../domain/routing';
import { agentLabel, handoffRequestedText } from './handoffMessages';
import { INTAKE_DIALOG, INTAKE_VERBS, IntakeDialog, type IntakeOptions } from './intakeDialog';
import type { DialogServices } from './services';
import type { TurnInput } from './turnInput';
import { turnScope } from './turnScope';

/** What the router remembers about a conversation between turns. */
export interface RouterMemory {
  /** Consecutive messages the bot did not understand; at two it proposes an agent directly. */
  unknownStreak?: number;
  /** Last topic recognised (not agent, help or unknown): after a long wait for an agent it picks the phone line. */
  lastRoute?: RouteId;
  /** The user's last few messages (never a secret), shown to the agents when a handoff starts, then cleared. */
  recentTexts?: string[];
  /**
   * True once this conversation was handed to the agents; false when the relay's last lookup found no open
   * handoff; absent when unknown. The relay looks the handoff up only when it is not false.
   */
  handoff?: boolean;
}

/** Where botbuilder-dialogs' DialogStateManager keeps its configuration in turn state (dialogStateManager.js). */
const DIALOG_STATE_MANAGER_CONFIGURATION = 'DialogStateManagerConfiguration';

/** Messages kept in {@link RouterMemory.recentTexts}. */
const RECENT_TEXTS = 3;
const RECENT_TEXT_MAX_LENGTH = 500;
/** Routes that are not a topic of their own. */
const NOT_A_TOPIC: ReadonlySet<RouteId> = new Set<RouteId>(['agent', 'help', 'unknown']);

const CANCEL_WORDS = new Set(['annuler', 'annule', 'cancel', 'stop', 'arreter', 'quitter', 'abandonner', 'laisse tomber', 'quit']);

function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function attachment(card: AdaptiveCardJson) {
  return MessageFactory.attachment(cardAttachment(card));
}

/**
 * Decides what each turn does: continue the active intake, start a flow, or answer a question.
 * @remarks Interruptions (« annuler », « aide », a question) work at any step; after an answer the active
 * intake's current card is shown again, so the intake resumes where it was.
 */
export class ConversationRouter {
  private readonly dialogs: DialogSet;

  constructor(
    dialogState: StatePropertyAccessor<DialogState>,
    private readonly memory: StatePropertyAccessor<RouterMemory>,
    private readonly services: DialogServices,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.dialogs = new DialogSet(dialogState);
    this.dialogs.add(new IntakeDialog(services));
  }

  /** The memory scopes and path resolvers botbuilder-dialogs gathers for a dialog context (the same on every turn). */
  private stateManagerConfiguration?: unknown;

  /**
   * A dialog context for the turn.
   * @remarks botbuilder-dialogs rebuilds its memory-scope configuration (component registrations checked with zod)
   * for the first dialog context of every turn, and keeps it in turn state for the rest of that turn only; we keep
   * the first one built and hand it to every later turn. Nothing in it depends on the turn: the scopes read the
   * turn's state when used, and this bot adds no scope or resolver of its own.
   */
  private async createContext(context: TurnContext) {
    if (this.stateManagerConfiguration) context.turnState.set(DIALOG_STATE_MANAGER_CONFIGURATION, this.stateManagerConfiguration);
    const dc = await this.dialogs.createContext(context);
    this.stateManagerConfiguration ??= context.turnState.get(DIALOG_STATE_MANAGER_CONFIGURATION);
    return dc;
  }

  async handle(context: TurnContext, input: TurnInput): Promise<void> {
    const dc = await this.createContext(context);
    const intakeActive = dc.activeDialog?.id === INTAKE_DIALOG;

    if (input.kind === 'action') {
      const verb = input.verb;
      if ((INTAKE_VERBS as readonly string[]).includes(verb)) {
        if (intakeActive) {
          await dc.continueDialog();
          return;
        }
        await this.staleIntakeCard(context, verb, input.data);
        return;
      }
      switch (verb) {
        case 'menu.access':
          await dc.cancelAllDialogs();
          await dc.beginDialog(INTAKE_DIALOG, { mode: 'access' } satisfies IntakeOptions);
          return;
        case 'menu.withdraw':
          await dc.cancelAllDialogs();
          await dc.beginDialog(INTAKE_DIALOG, { mode: 'withdrawal' } satisfies IntakeOptions);
          return;
        case 'menu.status':
          await this.showRequests(context);
          return;
        case 'request.cancel':
          await this.cancelRequest(context, input.data.requestId);
          return;
        case 'menu.help':
          await this.answer(context, 'help');
          return;
        case 'menu.agent':
          await this.startHandoff(context);
          return;
        case 'route.ask': {
          // A route id from a card we sent; anything else (an old or forged card) gets the help card.
          const route: RouteId = typeof input.data.route === 'string' && isRouteId(input.data.route) ? input.data.route : 'help';
          await this.routeTo(context, route, intakeActive);
          if (intakeActive) await dc.repromptDialog();
          return;
        }
        default:
          await context.sendActivity(turnScope(context).t('dialogs:unknownAction'));
          await this.showMenu(context);
          return;
      }
    }

    if (input.kind !== 'text') return;
    const { t, lang } = turnScope(context);

    if (looksLikeSecret(input.text)) {
      await context.sendActivity(t('dialogs:secretWarning'));
      return;
    }

    if (CANCEL_WORDS.has(fold(input.text))) {
      if (intakeActive) {
        await dc.cancelAllDialogs();
        await context.sendActivity(t('dialogs:intake.cancelled'));
      } else {
        await context.sendActivity(t('dialogs:nothingToCancel'));
      }
      return;
    }

    const decision = await classifyRoute(input.text, lang);
    const memory = await this.memory.get(context, {});
    memory.unknownStreak = decision.route === 'unknown' ? (memory.unknownStreak ?? 0) + 1 : 0;
    memory.recentTexts = [...(memory.recentTexts ?? []), input.text.slice(0, RECENT_TEXT_MAX_LENGTH)].slice(-RECENT_TEXTS);
    if (!NOT_A_TOPIC.has(decision.route)) memory.lastRoute = decision.route;

    if (decision.route === 'agent') {
      // The user asked for a person: no resuming the intake on top of that (it is kept for later).
      await this.startHandoff(context);
      return;
    }

    if (decision.route === 'access.request' || decision.route === 'access.withdraw') {
      if (intakeActive) {
        await context.sendActivity(t('dialogs:intake.inProgress'));
        await dc.repromptDialog();
        return;
      }
      await dc.beginDialog(INTAKE_DIALOG, { mode: decision.route === 'access.withdraw' ? 'withdrawal' : 'access' } satisfies IntakeOptions);
      return;
    }

    if (decision.route === 'unknown' && memory.unknownStreak >= 2) {
      // Two misunderstandings in a row: offer a person first.
      await this.answer(context, 'unknown', { repeatedUnknown: true });
    } else {
      await this.routeTo(context, decision.route, intakeActive);
    }
    if (intakeActive) {
      await context.sendActivity(t('dialogs:intake.resume'));
      await dc.repromptDialog();
    }
  }

  /** Answers a route that does not start the intake. */
  private async routeTo(context: TurnContext, route: RouteId, intakeActive: boolean): Promise<void> {
    switch (route) {
      case 'request.status':
        await this.showRequests(context);
        return;
      case 'agent':
        await this.startHandoff(context);
        return;
      case 'access.request':
      case 'access.withdraw':
        // Reached only through route.ask buttons; the intake starts from its own verbs.
        if (!intakeActive) await this.showMenu(context);
        return;
      default:
        await this.answer(context, route);
    }
  }

  private async answer(context: TurnContext, route: RouteId, options?: { repeatedUnknown?: boolean }): Promise<void> {
    const { t, lang } = turnScope(context);
    await context.sendActivity(attachment(knowledgeAnswerCard(route, t, lang, this.clock(), randomUUID(), options)));
  }

  /**
   * A person is wanted: the conversation goes to the help-desk agents' queue (the relay takes over from the
   * next message); without an agents' team, the phone lines that answer now.
   */
  private async startHandoff(context: TurnContext): Promise<void> {
    const { t, lang } = turnScope(context);
    const handoff = this.services.handoff;
    if (!handoff?.available) {
      await context.sendActivity(t('dialogs:agentByPhone'));
      await this.answer(context, 'info.hours');
      return;
    }
    const memory = await this.memory.get(context, {});
    const a = context.activity;
    const outcome = await handoff.start({
      requester: { userId: a.from.id, aadObjectId: a.from.aadObjectId ?? null, name: a.from.name ?? null, conversationId: a.conversation.id, lang },
      lastRoute: memory.lastRoute ?? null,
      recentTexts: memory.recentTexts ?? [],
    });
    memory.recentTexts = [];
    memory.unknownStreak = 0;
    memory.handoff = true;
    if (outcome.status === 'started') {
      await context.sendActivity(handoffRequestedText(t, lang, this.clock()));
    } else if (outcome.status === 'already_waiting') {
      await context.sendActivity(t('handoff:user.alreadyWaiting'));
    } else if (outcome.status === 'already_active') {
      await context.sendActivity(t('handoff:user.alreadyActive', { agent: agentLabel(t, outcome.session.agentName) }));
    }
  }

  private async showMenu(context: TurnContext): Promise<void> {
    await context.sendActivity(attachment(welcomeCard(turnScope(context).t, randomUUID())));
  }

  /** « Mes demandes »: the requester's own requests, newest first. */
  private async showRequests(context: TurnContext): Promise<void> {
    const { t, lang } = turnScope(context);
    const { from } = context.activity;
    const records = await this.services.requests.listMine(from.id);
    await this.services.audit.recordMany({ userId: from.id, aadObjectId: from.aadObjectId }, records.map((r) => r.id), AUDIT_ACTIONS.requestsListed);
    const requests = records.map((r) => ({
      id: r.id,
      reference: r.reference,
      kind: r.kind as RequestKind,
      status: r.status as RequestStatus,
      createdAt: r.createdAt,
      subject: r.requesterRole === 'physician' ? undefined : [r.firstName, r.lastName].filter(Boolean).join(' ') || undefined,
    }));
    await context.sendActivity(attachment(requestListCard(t, lang, { cardId: randomUUID(), requests })));
  }

  private async cancelRequest(context: TurnContext, rawId: unknown): Promise<void> {
    const { t } = turnScope(context);
    const id = typeof rawId === 'number' ? rawId : typeof rawId === 'string' && /^\d{1,12}$/.test(rawId) ? Number(rawId) : NaN;
    if (!Number.isSafeInteger(id)) {
      await context.sendActivity(t('dialogs:requests.notFound'));
      return;
    }
    const a = context.activity;
    const outcome = await this.services.requests.cancelByRequester({ userId: a.from.id, aadObjectId: a.from.aadObjectId, name: a.from.name }, id);
    if (outcome.ok) {
      await this.services.audit.record({ userId: a.from.id, aadObjectId: a.from.aadObjectId }, outcome.request.id, AUDIT_ACTIONS.requestCancelled);
      await context.sendActivity(t('dialogs:requests.cancelled', { reference: outcome.request.reference }));
    } else if (outcome.reason === 'not_cancellable' && outcome.request) {
      await context.sendActivity(t('dialogs:requests.notCancellable', { reference: outcome.request.reference }));
    } else {
      await context.sendActivity(t('dialogs:requests.notFound'));
    }
  }

  /** A card of an intake that is over (filed, cancelled or replaced) was used. */
  private async staleIntakeCard(context: TurnContext, verb: string, data: Record<string, unknown>): Promise<void> {
    const { t } = turnScope(context);
    if (verb === 'intake.confirm' && typeof data.cardId === 'string' && data.cardId) {
      const filed = await this.services.requests.findFiledBy(data.cardId);
      if (filed) {
        await context.sendActivity(t('dialogs:intake.alreadyFiled', { reference: filed.reference }));
        return;
      }
    }
    await context.sendActivity(t('dialogs:intake.closedCard'));
    await this.showMenu(context);
  }
}
