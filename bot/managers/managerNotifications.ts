import { MessageFactory, type Activity } from 'botbuilder';
import { managerRequestCard } from '../../cards/managerRequest';
import { cardAttachment } from '../../cards/render';
import { requesterNoticeCard } from '../../cards/requesterNotice';
import type { TxClient } from '../../data/tx';
import type { ManagerRequestRepository } from '../../data/managerRequestRepository';
import { OutboxRepository, requestOutboxMessage, type OutboxRecord, type OutboxTarget, type RequestOutboxMessage } from '../../data/outboxRepository';
import { managerCardWrite, type FilingWrites, type RequestRecord, type RequestRepository } from '../../data/requestRepository';
import { resolveLang, translator } from '../../domain/i18n';
import { OPEN_STATUSES } from '../../domain/requests/lifecycle';
import type { RequestChange, RequestNotifications, RequesterNotice } from '../../domain/requests/managerService';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { DeliveryFailure, OutboxDispatcher, OutboxSignal } from '../services/outboxDispatcher';
import { UnknownConversationError, type ProactiveSender } from '../services/proactive';

/** Outbox kind: post or refresh the managers' card of a request (payload {@link ManagerCardPayload}). */
export const MANAGER_CARD_KIND = 'managers.requestCard';
/** Outbox kind: tell the requester about a change, in their chat (payload {@link RequesterNoticePayload}). */
export const REQUESTER_NOTICE_KIND = 'requester.notice';

export interface ManagerCardPayload {
  requestId: number;
}

export interface RequesterNoticePayload {
  requestId: number;
  notice: RequesterNotice;
  /** The request's version the notice was written for. */
  version: number;
}

/** Thrown when no managers' team is configured: the card waits (retried, then failed and visible in /healthz). */
export class ManagersTeamNotConfiguredError extends Error {
  override name = 'ManagersTeamNotConfiguredError';
  readonly retryable = true;
  constructor() {
    super('ACCESS_MANAGERS_TEAM_ID is not set');
  }
}

/** The managers' channel as an outbox target (as configured now). */
export function managersTarget(config: Pick<Config, 'ACCESS_MANAGERS_TEAM_ID' | 'ACCESS_MANAGERS_CHANNEL_ID'>): OutboxTarget {
  return { type: 'channel', teamId: config.ACCESS_MANAGERS_TEAM_ID ?? 'unconfigured', ...(config.ACCESS_MANAGERS_CHANNEL_ID ? { channelId: config.ACCESS_MANAGERS_CHANNEL_ID } : {}) };
}

/** The card's rows of a request are delivered in order: `request:<id>:card`. */
const CARD_ORDERING = { prefix: 'request:', suffix: ':card' };

/** The managers' card of a request, described by the request's id (so that filing can write it in SQL). */
function cardMessage(config: Config): RequestOutboxMessage {
  return { kind: MANAGER_CARD_KIND, target: managersTarget(config), idField: 'requestId' satisfies keyof ManagerCardPayload, orderingKey: CARD_ORDERING };
}

const cardOrdering = (requestId: number) => `${CARD_ORDERING.prefix}${requestId}${CARD_ORDERING.suffix}`;

async function enqueueCard(tx: TxClient, config: Config, requestId: number, now: Date): Promise<void> {
  await OutboxRepository.enqueue(tx, requestOutboxMessage(cardMessage(config), requestId), now);
}

/**
 * Turns request changes into outbox rows, in the change's transaction: a refresh of the managers' card and,
 * when there is one, the requester's notice. The rows carry ids only; cards are rendered at delivery.
 */
export class OutboxRequestNotifications implements RequestNotifications {
  constructor(private readonly config: Config, private readonly signal: OutboxSignal, private readonly clock: () => Date) {}

  async requestChanged(tx: TxClient, request: RequestRecord, change: RequestChange): Promise<void> {
    const now = this.clock();
    if (change.updateCard) await enqueueCard(tx, this.config, request.id, now);
    if (change.notice) {
      await OutboxRepository.enqueue<RequesterNoticePayload>(
        tx,
        {
          kind: REQUESTER_NOTICE_KIND,
          target: { type: 'conversation', conversationId: request.requesterConversationId },
          payload: { requestId: request.id, notice: change.notice, version: request.version },
          orderingKey: `request:${request.id}:notice`,
          dedupeKey: `request:${request.id}:v${request.version}:${change.notice}`,
        },
        now,
      );
    }
  }

  committed(): void {
    this.signal.notify();
  }

  /**
   * What {@link requestChanged} writes for a filing (`filed`, card refresh, no notice), described by the new request's
   * id: the filing writes it in its own statement on PostgreSQL (RequestService's `onFiled`).
   */
  filing(): FilingWrites {
    return { outbox: [cardMessage(this.config)] };
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export interface ManagerHandlerDeps {
  config: Config;
  logger: Logger;
  proactive: ProactiveSender;
  requests: RequestRepository;
  queries: ManagerRequestRepository;
  outbox: OutboxRepository;
  signal: OutboxSignal;
  clock: () => Date;
}

/** Registers the delivery of the managers' cards and of the requesters' notices. */
export function registerManagerHandlers(dispatcher: OutboxDispatcher, deps: ManagerHandlerDeps): void {
  const { config, proactive, requests, queries, clock } = deps;
  const managersLang = resolveLang(config.DEFAULT_LOCALE);

  /** The card goes to the managers' channel as configured now, posted once, then updated in place. */
  dispatcher.register<ManagerCardPayload>(MANAGER_CARD_KIND, {
    deliver: async (message) => {
      // The request and its history in one read (one statement on PostgreSQL), before the team check: a card that
      // waits for the team costs one read either way.
      const found = await requests.findWithEvents(message.payload.requestId);
      if (!found) return;
      if (!config.ACCESS_MANAGERS_TEAM_ID) throw new ManagersTeamNotConfiguredError();
      const { request, events } = found;
      const target = managersTarget(config);
      const card = managerRequestCard(translator(managersLang), managersLang, request, events);
      const activity: Partial<Activity> = { ...MessageFactory.attachment(cardAttachment(card)), summary: request.reference };
      if (request.managerCardActivityId && request.managerCardConversationId) {
        const posted = { activityId: request.managerCardActivityId, conversationId: request.managerCardConversationId };
        try {
          await proactive.update(target, posted, activity);
          return posted;
        } catch (err) {
          // The message was deleted in Teams: post the card again rather than lose it.
          if (statusOf(err) !== 404) throw err;
          deps.logger.warn({ requestId: request.id }, 'managers card was gone; posting it again');
        }
      }
      const posted = await proactive.send(target, activity);
      // Where the card went is stored on the request with the row's mark as sent (one statement on PostgreSQL).
      return { ...posted, alsoWrite: managerCardWrite(request.id, posted) };
    },
  });

  /** A notice in the requester's own chat and language; a 403 (bot blocked) shows on the managers' card. */
  dispatcher.register<RequesterNoticePayload>(REQUESTER_NOTICE_KIND, {
    deliver: async (message) => {
      const request = await requests.findById(message.payload.requestId);
      if (!request || request.erasedAt) return;
      const notice = message.payload.notice;
      if (notice === 'reminder' && !reminderStillUseful(request, clock())) return;
      const lang = resolveLang(request.locale, managersLang);
      const card = requesterNoticeCard(translator(lang), lang, notice, request, `notice-${request.id}-${message.payload.version}`);
      const posted = await proactive.send(message.target, { ...MessageFactory.attachment(cardAttachment(card)), summary: request.reference });
      if (request.requesterUnreachable && (await queries.setRequesterUnreachable(request.id, false))) await refreshCard(deps, request.id);
      return posted;
    },
    onFailed: async (message: OutboxRecord<RequesterNoticePayload>, failure: DeliveryFailure) => {
      const unreachable = failure.status === 403 || failure.status === 404 || failure.error instanceof UnknownConversationError;
      if (!unreachable) return;
      if (await queries.setRequesterUnreachable(message.payload.requestId, true)) {
        deps.logger.warn({ requestId: message.payload.requestId, failure: failure.label }, 'requester cannot be reached; shown on the managers card');
        await refreshCard(deps, message.payload.requestId);
      }
    },
  });
}

/** A reminder is sent only while the code is pending, the registration not declared done, and before expiry. */
function reminderStillUseful(request: RequestRecord, now: Date): boolean {
  return request.status === 'code_sent' && !request.registrationDoneAt && !!request.codeExpiresAt && now.getTime() < request.codeExpiresAt.getTime();
}

async function refreshCard(deps: ManagerHandlerDeps, requestId: number): Promise<void> {
  await deps.outbox.enqueue<ManagerCardPayload>({ kind: MANAGER_CARD_KIND, target: managersTarget(deps.config), payload: { requestId }, orderingKey: cardOrdering(requestId) }, deps.clock());
  deps.signal.notify();
}

/**
 * Start-up safety net, so that no request stays without its card: requeues cards that failed only because
 * the managers' team was not configured or not installed yet, and queues a card for any open request that
 * has neither a posted card nor a card row (e.g. filed before this feature existed).
 * @returns how many card rows were requeued or added.
 */
export async function queueMissingCards(deps: Pick<ManagerHandlerDeps, 'config' | 'queries' | 'outbox' | 'clock'>, limit = 500): Promise<number> {
  if (!deps.config.ACCESS_MANAGERS_TEAM_ID) return 0;
  const now = deps.clock();
  let count = await deps.outbox.requeueFailed(MANAGER_CARD_KIND, now, ['ManagersTeamNotConfiguredError', 'TeamNotInstalledError']);
  for (const request of await deps.queries.listWithoutCard(OPEN_STATUSES, limit)) {
    if (await deps.outbox.hasOrderingKey(cardOrdering(request.id))) continue;
    await deps.outbox.enqueue<ManagerCardPayload>({ kind: MANAGER_CARD_KIND, target: managersTarget(deps.config), payload: { requestId: request.id }, orderingKey: cardOrdering(request.id) }, now);
    count++;
  }
  return count;
}
