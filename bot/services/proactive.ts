import { TurnContext, type Activity, type CloudAdapter, type ConversationReference } from 'botbuilder';
import type { BotFrameworkAuthentication, ClaimsIdentity, ConnectorClient, ConnectorFactory } from 'botframework-connector';
import type { ConversationRefRepository } from '../../data/conversationRefRepository';
import type { OutboxTarget } from '../../data/outboxRepository';
import type { TeamChannels } from './teamChannels';

/** A message the bot posted: where it lives and its id (what an update needs). */
export interface PostedActivity {
  conversationId: string;
  activityId: string;
}

/** Thrown when the target conversation was never stored: retrying cannot help. */
export class UnknownConversationError extends Error {
  override name = 'UnknownConversationError';
  readonly retryable = false;
  constructor() {
    super('No stored reference for the target conversation');
  }
}

export interface ProactiveSenderOptions {
  /** Bot app id ('' when running anonymous locally). */
  botAppId: string;
  /** Each HTTP call to the Bot Connector is aborted after this long (the outbox then retries). */
  requestTimeoutMs: number;
}

/** What CloudAdapter's proactive turn uses to get its connector client (public at run time, protected in the typings). */
interface AdapterInsides {
  botFrameworkAuthentication: BotFrameworkAuthentication;
  createClaimsIdentity(botAppId: string): ClaimsIdentity;
}

type PipelineLike = {
  removePolicy(options: { name: string }): unknown;
  addPolicy(policy: { name: string; sendRequest: (req: { timeout: number }, next: (req: unknown) => Promise<unknown>) => Promise<unknown> }): void;
};

/**
 * Sends outside of a turn: to a stored conversation, as a new post in a team channel, or as an update of
 * an activity the bot posted earlier. Errors are thrown to the caller (the outbox decides about retries).
 * @remarks The connector client is the one the adapter's proactive turn (`continueConversationAsync`) would get:
 * same authentication, claims (the bot's app id) and service URL, so the same cached client with the lean
 * connector's fast path, but without running a turn through the adapter's middleware (duplicate delivery, turn log,
 * pacing and rate limit all skip or ignore the continuation event, and the sends below do not go through the turn
 * context). The connector client's own retry policy is removed for these calls: it would sleep inside the call
 * while holding the outbox lock; the outbox dispatcher retries with backoff (and Retry-After) instead.
 */
export class ProactiveSender {
  private factory?: ConnectorFactory;
  private readonly tuned = new WeakSet<ConnectorClient>();

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly conversations: ConversationRefRepository,
    private readonly teams: TeamChannels,
    private readonly options: ProactiveSenderOptions,
  ) {}

  /** Posts an activity to a target and returns where it was posted. */
  async send(target: OutboxTarget, activity: Partial<Activity>): Promise<PostedActivity> {
    if (target.type === 'conversation') {
      const reference = await this.storedReference(target.conversationId);
      return this.postTo(reference, target.conversationId, activity);
    }
    return this.forgettingOnFailure(target, () => this.postToChannel(target, activity));
  }

  private async postToChannel(target: OutboxTarget & { type: 'channel' }, activity: Partial<Activity>): Promise<PostedActivity> {
    const installation = await this.teams.installation(target.teamId);
    const reference = JSON.parse(installation.reference) as Partial<ConversationReference>;
    const channelId = target.channelId ?? installation.channelId;
    return this.withConnector(reference, async (connector) => {
      const created: { id: string; activityId?: string } = await connector.conversations.createConversation({
        isGroup: true,
        bot: reference.bot!,
        tenantId: installation.tenantId ?? undefined,
        channelData: { channel: { id: channelId }, ...(installation.tenantId ? { tenant: { id: installation.tenantId } } : {}) },
        activity: activity as Activity,
        members: [],
      });
      return { conversationId: created.id, activityId: created.activityId ?? created.id };
    });
  }

  /** Replaces an activity the bot posted earlier (PUT …/activities/{id}). */
  async update(target: OutboxTarget, posted: PostedActivity, activity: Partial<Activity>): Promise<void> {
    return this.forgettingOnFailure(target, () => this.put(target, posted, activity));
  }

  private async put(target: OutboxTarget, posted: PostedActivity, activity: Partial<Activity>): Promise<void> {
    const base = await this.baseReference(target);
    const reference: Partial<ConversationReference> = { ...base, conversation: { ...(base.conversation ?? {}), id: posted.conversationId } as ConversationReference['conversation'] };
    await this.withConnector(reference, async (connector) => {
      const full = TurnContext.applyConversationReference({ type: 'message', ...activity }, reference) as Activity;
      delete full.replyToId;
      full.id = posted.activityId;
      await connector.conversations.updateActivity(posted.conversationId, posted.activityId, full);
    });
  }

  /** Posts a reply in the thread of an activity the bot posted (e.g. a note under a channel card). */
  async reply(target: OutboxTarget, posted: PostedActivity, activity: Partial<Activity>): Promise<PostedActivity> {
    return this.forgettingOnFailure(target, async () => {
      const base = await this.baseReference(target);
      const reference: Partial<ConversationReference> = { ...base, conversation: { ...(base.conversation ?? {}), id: posted.conversationId } as ConversationReference['conversation'] };
      return this.postTo(reference, posted.conversationId, activity);
    });
  }

  /** A failed call to a team's channel makes the next one read the team's installation again (TeamChannels reuses it a few seconds). */
  private async forgettingOnFailure<T>(target: OutboxTarget, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (target.type === 'channel') this.teams.forget(target.teamId);
      throw err;
    }
  }

  /** POST …/conversations/{id}/activities: a new message (never a reply to the activity the reference was taken from). */
  private postTo(reference: Partial<ConversationReference>, conversationId: string, activity: Partial<Activity>): Promise<PostedActivity> {
    return this.withConnector(reference, async (connector) => {
      const full = TurnContext.applyConversationReference({ type: 'message', ...activity }, reference) as Activity;
      delete full.replyToId;
      const response = await connector.conversations.sendToConversation(conversationId, full);
      return { conversationId, activityId: response?.id ?? '' };
    });
  }

  private async baseReference(target: OutboxTarget): Promise<Partial<ConversationReference>> {
    if (target.type === 'conversation') return this.storedReference(target.conversationId);
    const installation = await this.teams.installation(target.teamId);
    return JSON.parse(installation.reference) as Partial<ConversationReference>;
  }

  private async storedReference(conversationId: string): Promise<Partial<ConversationReference>> {
    const stored = await this.conversations.find(conversationId);
    if (!stored) throw new UnknownConversationError();
    const reference = JSON.parse(stored.reference) as Partial<ConversationReference>;
    // A new message, not a reply to whatever activity the reference was taken from.
    delete reference.activityId;
    return reference;
  }

  /** Runs `fn` with the connector client for the reference's service URL, as the adapter's proactive turn builds it. */
  private async withConnector<T>(reference: Partial<ConversationReference>, fn: (connector: ConnectorClient) => Promise<T>): Promise<T> {
    if (!this.factory) {
      const adapter = this.adapter as unknown as AdapterInsides;
      this.factory = adapter.botFrameworkAuthentication.createConnectorFactory(adapter.createClaimsIdentity(this.options.botAppId));
    }
    // The audience continueConversationAsync passes when given an app id: none (the factory's default scope).
    const connector = await this.factory.create(reference.serviceUrl!, undefined);
    this.tune(connector);
    return fn(connector);
  }

  /** No hidden retries inside a call, and a bounded wait for each HTTP request (set once per connector client). */
  private tune(connector: ConnectorClient): void {
    // Once per client (clients are cached and reused): changing the pipeline makes it sort its policies again.
    if (this.tuned.has(connector)) return;
    this.tuned.add(connector);
    const pipeline = (connector as unknown as { client?: { pipeline?: PipelineLike } }).client?.pipeline;
    if (!pipeline) return;
    pipeline.removePolicy({ name: 'defaultRetryPolicy' });
    const timeout = this.options.requestTimeoutMs;
    pipeline.removePolicy({ name: 'outboxRequestTimeout' });
    pipeline.addPolicy({
      name: 'outboxRequestTimeout',
      sendRequest: (req, next) => {
        req.timeout = timeout;
        return next(req);
      },
    });
  }
}

/** Outbox kind of a ready-made activity: payload `{ activity }`, posted as is to the row's target. */
export const PROACTIVE_ACTIVITY_KIND = 'proactive.activity';

/** Payload of {@link PROACTIVE_ACTIVITY_KIND}. */
export interface ProactiveActivityPayload {
  activity: Partial<Activity>;
}

/** The handler of {@link PROACTIVE_ACTIVITY_KIND}: posts the payload's activity and returns where it went. */
export function proactiveActivityHandler(sender: ProactiveSender) {
  return {
    deliver: async (message: { target: OutboxTarget; payload: ProactiveActivityPayload }) => sender.send(message.target, message.payload.activity),
  };
}
