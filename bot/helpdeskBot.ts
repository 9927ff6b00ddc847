import { randomUUID } from 'node:crypto';
import {
  ActivityHandler,
  MessageFactory,
  TurnContext,
  type Activity,
  type Attachment,
  type ConversationState,
  type InvokeResponse,
  type StatePropertyAccessor,
  type UserState,
} from 'botbuilder';
import { cardAttachment } from '../cards/render';
import { welcomeCard } from '../cards/welcome';
import { resolveLang, translator, type Lang, type Translate } from '../domain/i18n';
import { conversationRefWrite, type ConversationRefRepository, type StoredConversationRef } from '../data/conversationRefRepository';
import { attachToStateWrite, takeStateCompanion } from './services/leanBotState';
import type { Config } from './config';
import type { Logger } from './logger';
import { readTurnInput, type TurnInput } from '../dialogs/turnInput';
import { ConversationRouter, type RouterMemory } from '../dialogs/router';
import type { DialogServices } from '../dialogs/services';
import { setTurnScope } from '../dialogs/turnScope';
import { StateConflictError } from '../data/botStateRepository';
import type { DialogState } from 'botbuilder-dialogs';

/** What we remember about a user across conversations. */
export interface UserProfile {
  /** Language chosen explicitly with « English » / « Français »; otherwise the activity locale decides. */
  lang?: Lang;
}

/** What we remember about a conversation. */
export interface ConversationFlags {
  welcomed?: boolean;
}

/**
 * A feature that may take a turn before the requester's conversation router (e.g. the access managers'
 * channel, the agents' relay), and that sees team membership events.
 */
export interface TurnInterceptor {
  /** Handles the input and returns true, or returns false to let the next interceptor (then the router) have it. */
  handleInput(context: TurnContext, input: TurnInput, scope: TurnScope): Promise<boolean>;
  /** Sees conversationUpdate and installationUpdate activities (e.g. to store a team's channel reference). */
  onMembershipEvent?(context: TurnContext): Promise<void>;
}

export interface HelpdeskBotDeps {
  config: Config;
  logger: Logger;
  conversationState: ConversationState;
  userState: UserState;
  conversationRefs: ConversationRefRepository;
  services: DialogServices;
  clock?: () => Date;
  interceptors?: readonly TurnInterceptor[];
}

/** Per-turn view handed to feature handlers: the language and its translation function. */
export interface TurnScope {
  context: TurnContext;
  lang: Lang;
  t: Translate;
}

/** The conversation reference this turn attached to its conversation state's write (see `HelpdeskBot.rememberConversation`). */
const ATTACHED_REF = Symbol('attachedConversationRef');

/** Where to reach this chat later, as stored: ids only (the user's display name is not kept). */
function conversationRefOf(context: TurnContext): StoredConversationRef {
  const a = context.activity;
  const ref = TurnContext.getConversationReference(a);
  if (ref.user) ref.user = { id: ref.user.id, name: '', aadObjectId: ref.user.aadObjectId, role: ref.user.role };
  const channelData = (a.channelData ?? {}) as { team?: { id?: string }; channel?: { id?: string } };
  return {
    conversationId: a.conversation.id,
    scope: a.conversation.conversationType ?? 'personal',
    userId: a.from?.id ?? null,
    aadObjectId: a.from?.aadObjectId ?? null,
    teamId: channelData.team?.id ?? null,
    channelId: channelData.channel?.id ?? null,
    locale: a.locale ?? null,
    reference: JSON.stringify(ref),
  };
}

const SWITCH_TO_EN = new Set(['english', 'anglais', 'en anglais', 'in english']);
const SWITCH_TO_FR = new Set(['francais', 'français', 'french', 'en francais', 'en français', 'in french']);

const GREETINGS = /^(bonjour|bonsoir|salut|allo|allô|hello|hi|hey|coucou|bon matin|good morning)\b/i;

/** A first message that only greets: the welcome card is the whole answer. */
function isGreeting(text: string): boolean {
  return GREETINGS.test(text.trim()) && text.trim().split(/\s+/).length <= 3;
}

/** Whether a turn loads conversation and user state: the activity carries the ids that key them. */
function loadsState(context: TurnContext): boolean {
  const a = context.activity;
  return !!(a.conversation?.id && a.from?.id && a.channelId);
}

/** Invoke response Teams expects after an Action.Execute handled by sending messages. */
export const ACTION_EXECUTE_ACK: InvokeResponse = {
  status: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: '' },
};

/**
 * Puts the welcome card in the first message among `activities` (a turn's outgoing batch, as `onSendActivities` sees
 * it): at the head of its cards when it shows cards only, in a list ('joined'); else the welcome must go as its own
 * message just before it ('before'). 'no message' when the batch holds none (typing, invoke response).
 */
export function joinWelcome(activities: Partial<Activity>[], welcome: Attachment): 'joined' | 'before' | 'no message' {
  const first = activities.find((a) => (a.type ?? 'message') === 'message');
  if (!first) return 'no message';
  const cards = first.attachments ?? [];
  if (first.text || first.speak || cards.length === 0 || (first.attachmentLayout ?? 'list') !== 'list') return 'before';
  first.attachments = [welcome, ...cards];
  first.attachmentLayout = 'list';
  return 'joined';
}

/** The Teams activity handler: welcome, language, and dispatch of messages and card actions. */
export class HelpdeskBot extends ActivityHandler {
  private readonly profile: StatePropertyAccessor<UserProfile>;
  private readonly flags: StatePropertyAccessor<ConversationFlags>;
  private readonly router: ConversationRouter;

  constructor(private readonly deps: HelpdeskBotDeps) {
    super();
    this.profile = deps.userState.createProperty<UserProfile>('profile');
    this.flags = deps.conversationState.createProperty<ConversationFlags>('flags');
    this.router = new ConversationRouter(
      deps.conversationState.createProperty<DialogState>('dialogState'),
      deps.conversationState.createProperty<RouterMemory>('router'),
      deps.services,
      deps.clock,
    );

    this.onMessage(async (context, next) => {
      await this.handleInput(context, readTurnInput(context.activity));
      await next();
    });

    const membershipEvent = async (context: TurnContext, next: () => Promise<void>) => {
      for (const interceptor of deps.interceptors ?? []) await interceptor.onMembershipEvent?.(context);
      await next();
    };
    this.onConversationUpdate(membershipEvent);
    this.onInstallationUpdate(membershipEvent);

    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const botAdded = (context.activity.membersAdded ?? []).some((m) => m.id === botId);
      const personal = context.activity.conversation?.conversationType === 'personal';
      if (botAdded && personal) {
        const scope = await this.scope(context);
        await this.welcome(scope);
      }
      await next();
    });
  }

  /** The state items a turn of this activity loads (conversation, user): none when it lacks the ids to key them. */
  stateKeys(context: TurnContext): string[] {
    if (!loadsState(context)) return [];
    return [this.deps.conversationState.getStorageKey(context), this.deps.userState.getStorageKey(context)].filter((k): k is string => !!k);
  }

  /** Runs the turn and saves conversation and user state once at the end. */
  override async run(context: TurnContext): Promise<void> {
    // Both states in one query (the storage answers reads of the same tick together, or takes what the turn prelude
    // read); handlers then read them from the turn cache.
    if (loadsState(context)) {
      await Promise.all([this.deps.conversationState.load(context), this.deps.userState.load(context)]);
    }
    await super.run(context);
    await this.save(context);
    // A reference attached to a state write that did not happen (the state was unchanged) is stored on its own.
    const ref = context.turnState.get(ATTACHED_REF) as StoredConversationRef | undefined;
    if (ref && takeStateCompanion(context, this.deps.conversationState)) await this.deps.conversationRefs.save(ref);
  }

  /**
   * Saves conversation and user state once per turn.
   * @remarks When a concurrent turn of the same conversation saved first (a double tap), its state wins:
   * what this turn did is already recorded in the database (filing is idempotent), so the conflict is logged, not raised.
   */
  private async save(context: TurnContext): Promise<void> {
    for (const state of [this.deps.conversationState, this.deps.userState]) {
      try {
        await state.saveChanges(context, false);
      } catch (err) {
        if (!(err instanceof StateConflictError)) throw err;
        this.deps.logger.warn({ activityType: context.activity.type }, 'state changed by a concurrent turn; keeping the newer state');
      }
    }
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    if (context.activity.name === 'adaptiveCard/action') {
      await this.handleInput(context, readTurnInput(context.activity));
      return ACTION_EXECUTE_ACK;
    }
    return super.onInvokeActivity(context);
  }

  private async scope(context: TurnContext): Promise<TurnScope> {
    // Read without a default: a user who never chose a language stores no profile (one write fewer on a first turn).
    const profile = (await this.profile.get(context)) ?? {};
    const fallback = resolveLang(this.deps.config.DEFAULT_LOCALE);
    const lang = profile.lang ?? resolveLang(context.activity.locale, fallback);
    const scope = { context, lang, t: translator(lang) };
    setTurnScope(context, scope);
    return scope;
  }

  private async welcome(scope: TurnScope): Promise<void> {
    await scope.context.sendActivity(MessageFactory.attachment(await this.markWelcomed(scope)));
  }

  /**
   * Welcomes with the first reply of the turn `handle` runs: one message, the welcome card above the reply's cards
   * (see {@link joinWelcome}), rather than two messages, each its own post to Teams.
   */
  private async welcomeWithFirstReply(scope: TurnScope, handle: () => Promise<void>): Promise<void> {
    const card = await this.markWelcomed(scope);
    const alone = () => scope.context.sendActivity(MessageFactory.attachment(card));
    let pending = true;
    scope.context.onSendActivities(async (_context, activities, sendNow) => {
      if (pending) {
        const joined = joinWelcome(activities, card);
        if (joined !== 'no message') pending = false;
        if (joined === 'before') await alone();
      }
      return sendNow();
    });
    await handle();
    if (pending) {
      // The turn sent no message (e.g. only an invoke response): the welcome goes alone.
      pending = false;
      await alone();
    }
  }

  /** Records the welcome in the conversation (and the conversation's reference, for later notices); returns the card. */
  private async markWelcomed(scope: TurnScope): Promise<Attachment> {
    const flags = await this.flags.get(scope.context, {});
    flags.welcomed = true;
    await this.rememberConversation(scope.context);
    return cardAttachment(welcomeCard(scope.t, randomUUID()));
  }

  /**
   * Stores the conversation reference so later notices (status changes, relays) can reach this chat: with the
   * conversation state at the end of the turn when the storage can (one statement for both), else at once.
   */
  private async rememberConversation(context: TurnContext): Promise<void> {
    const ref = conversationRefOf(context);
    if (loadsState(context) && attachToStateWrite(context, this.deps.conversationState, conversationRefWrite(ref))) {
      context.turnState.set(ATTACHED_REF, ref);
      return;
    }
    await this.deps.conversationRefs.save(ref);
  }

  private async handleInput(context: TurnContext, input: TurnInput): Promise<void> {
    let scope = await this.scope(context);
    for (const interceptor of this.deps.interceptors ?? []) {
      if (await interceptor.handleInput(context, input, scope)) return;
    }
    const flags = await this.flags.get(context, {});

    if (input.kind === 'text') {
      const folded = input.text.toLowerCase().replace(/[.!?\s]+$/g, '').trim();
      const switchTo: Lang | undefined = SWITCH_TO_EN.has(folded) ? 'en' : SWITCH_TO_FR.has(folded) ? 'fr' : undefined;
      if (switchTo) {
        const profile = await this.profile.get(context, {});
        profile.lang = switchTo;
        scope = { context, lang: switchTo, t: translator(switchTo) };
        setTurnScope(context, scope);
        await context.sendActivity(scope.t('language.switched'));
        if (!flags.welcomed) await this.welcome(scope);
        return;
      }
    }

    if (!flags.welcomed) {
      // Web Chat and some Teams clients send no membersAdded: the first message gets the welcome, alone when it only
      // greets, else with the answer.
      if (input.kind === 'none' || (input.kind === 'text' && isGreeting(input.text))) return this.welcome(scope);
      return this.welcomeWithFirstReply(scope, () => this.router.handle(context, input));
    }

    await this.router.handle(context, input);
  }
}
