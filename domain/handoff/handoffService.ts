import type { DbTx } from '../../data/db';
import {
  StaleHandoffError,
  type HandoffMessageRecord,
  type HandoffRepository,
  type HandoffSessionRecord,
  type HandoffStatus,
} from '../../data/handoffRepository';
import { OutboxRepository, type OutboxTarget } from '../../data/outboxRepository';
import type { Lang } from '../i18n';
import { looksLikeSecret } from '../intake/secrets';
import { firstNameOf } from './text';

/** Outbox kind: post (`op: 'post'`) or update in place (`op: 'update'`) the agents' card of a session. */
export const HANDOFF_CARD_KIND = 'handoff.card';
/** Outbox kind: a message in the thread of the agents' card. */
export const HANDOFF_TO_AGENTS_KIND = 'handoff.toAgents';
/** Outbox kind: a message in the user's chat. */
export const HANDOFF_TO_USER_KIND = 'handoff.toUser';

export interface HandoffCardPayload {
  sessionId: number;
  op: 'post' | 'update';
}

/** What to say in the agents' thread; texts are read from the transcript at delivery (payloads carry ids only). */
export interface HandoffToAgentsPayload {
  sessionId: number;
  notice: 'message' | 'withheld' | 'taken' | 'endedByUser' | 'endedByAgent';
  /** For `message` and `withheld`: the transcript entry. */
  messageId?: number;
  /** For `taken`: the user's messages up to this entry are shown as queued while waiting. */
  upToMessageId?: number;
}

/** What to tell the user. */
export interface HandoffToUserPayload {
  sessionId: number;
  notice: 'accepted' | 'message' | 'endedByAgent' | 'waitTimeout';
  /** For `message`: the agent's transcript entry. */
  messageId?: number;
}

/** The user asking for a person. */
export interface HandoffRequester {
  userId: string;
  aadObjectId?: string | null;
  /** Teams display name (shown to agents). */
  name?: string | null;
  conversationId: string;
  lang: Lang;
}

export interface StartHandoffInput {
  requester: HandoffRequester;
  /** Last topic the router recognised (e.g. `support.ramq_technical`). */
  lastRoute?: string | null;
  /** What the user wrote just before asking (oldest first); secrets are dropped, the last few kept. */
  recentTexts?: readonly string[];
}

export type StartHandoffOutcome =
  | { status: 'started' | 'already_waiting' | 'already_active'; session: HandoffSessionRecord }
  /** No agents' team is configured: the bot gives the phone lines instead. */
  | { status: 'unavailable' };

/** An agent acting from the agents' channel. */
export interface HandoffAgent {
  id: string;
  aadObjectId?: string | null;
  /** Teams display name. */
  name?: string | null;
}

export type AgentActionOutcome =
  | { ok: true; session: HandoffSessionRecord; already?: boolean }
  | { ok: false; reason: 'not_found' | 'taken' | 'not_active' | 'closed'; session?: HandoffSessionRecord };

export type UserMessageOutcome = 'queued' | 'relayed' | 'withheld';

export type AgentMessageOutcome = { ok: true; message: HandoffMessageRecord } | { ok: false; reason: 'withheld' | 'not_active' | 'waiting' };

export interface HandoffServiceOptions {
  /** The outbox, for what is enqueued outside a transaction (the long-wait notice). */
  outbox: OutboxRepository;
  /** Teams team id of the help-desk agents; without it handoffs are unavailable. */
  agentsTeamId?: string;
  /** Channel of that team to post in (default: its General channel). */
  agentsChannelId?: string;
  /** Minutes without an agent before the user is given a phone number. */
  waitMinutes: number;
  clock?: () => Date;
  /** Called after a commit that enqueued outbox rows (deliver now rather than at the next poll). */
  onEnqueued?: () => void;
  /** The requester of an access request (links transcripts to requests), when the request exists. */
  requesterOf?: (requestId: number) => Promise<string | null>;
}

/** How many messages written just before the handoff are kept as context for the agents. */
export const CONTEXT_MESSAGES = 3;
const CONTEXT_MAX_LENGTH = 1000;
const OPEN: HandoffStatus[] = ['waiting', 'active'];

/**
 * Use cases of a takeover by a help-desk agent: ask, queue, take, relay both ways, leave or end, remind after a
 * long wait, and read the transcript.
 * @remarks Every change and the Teams messages it causes are written in one transaction (outbox rows of kinds
 * {@link HANDOFF_CARD_KIND}, {@link HANDOFF_TO_AGENTS_KIND}, {@link HANDOFF_TO_USER_KIND}); the bot layer
 * renders and delivers them. Messages that look like a password or a secret code are never stored nor relayed.
 */
export class HandoffService {
  private readonly clock: () => Date;

  constructor(private readonly repo: HandoffRepository, private readonly options: HandoffServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Whether an agents' team is configured. */
  get available(): boolean {
    return Boolean(this.options.agentsTeamId);
  }

  /** Minutes a user waits before being given a phone number. */
  get waitMinutes(): number {
    return this.options.waitMinutes;
  }

  /** Puts the user in the agents' queue (once: asking again returns the open session) and posts the agents' card. */
  async start(input: StartHandoffInput): Promise<StartHandoffOutcome> {
    const teamId = this.options.agentsTeamId;
    if (!teamId) return { status: 'unavailable' };
    const r = input.requester;
    const context = (input.recentTexts ?? [])
      .filter((text) => text.trim() && !looksLikeSecret(text))
      .slice(-CONTEXT_MESSAGES)
      .map((text) => ({ direction: 'user' as const, authorId: r.userId, text: text.slice(0, CONTEXT_MAX_LENGTH), beforeHandoff: true }));
    const now = this.clock();
    const { session, created } = await this.repo.open(
      {
        userId: r.userId,
        userAadObjectId: r.aadObjectId ?? null,
        userName: r.name ?? null,
        userConversationId: r.conversationId,
        lang: r.lang,
        lastRoute: input.lastRoute ?? null,
        teamId,
        channelId: this.options.agentsChannelId ?? null,
      },
      context,
      now,
      async (tx, s) => {
        await this.enqueue(tx, HANDOFF_CARD_KIND, agentsTarget(s), { sessionId: s.id, op: 'post' } satisfies HandoffCardPayload, {
          dedupeKey: `handoff:${s.id}:card`,
          orderingKey: agentsKey(s),
        });
      },
    );
    if (created) this.notify();
    if (created) return { status: 'started', session };
    return { status: session.status === 'active' ? 'already_active' : 'already_waiting', session };
  }

  /** The user conversation's waiting or active session, if any. */
  openFor(userConversationId: string): Promise<HandoffSessionRecord | null> {
    return this.repo.findOpenByConversation(userConversationId);
  }

  findById(id: number): Promise<HandoffSessionRecord | null> {
    return this.repo.findById(id);
  }

  /** The session whose agents' card thread is this conversation (an agent's reply in the thread). */
  findByThread(teamId: string, threadConversationId: string): Promise<HandoffSessionRecord | null> {
    return this.repo.findByThread(teamId, threadConversationId);
  }

  /**
   * Records what the user wrote: relayed to the agent's thread when taken, kept for the agent (and shown on the
   * card) while waiting; a password or a secret code is neither stored nor relayed.
   */
  async userWrote(session: HandoffSessionRecord, text: string): Promise<UserMessageOutcome> {
    const withheld = looksLikeSecret(text);
    await this.repo.append(session, { direction: 'user', authorId: session.userId, text: withheld ? null : text, withheld }, this.clock(), async (tx, message) => {
      if (session.status === 'active') {
        await this.enqueue(tx, HANDOFF_TO_AGENTS_KIND, agentsTarget(session), { sessionId: session.id, notice: withheld ? 'withheld' : 'message', messageId: message.id } satisfies HandoffToAgentsPayload, {
          orderingKey: agentsKey(session),
        });
      } else {
        // Waiting: the card's preview of the last messages changes.
        await this.enqueueCardUpdate(tx, session);
      }
    });
    this.notify();
    if (withheld) return 'withheld';
    return session.status === 'active' ? 'relayed' : 'queued';
  }

  /**
   * The user leaves the queue (« annuler ») or ends the chat (« terminer »).
   * @returns `cancelled` (was waiting), `ended` (was with an agent), or `none` when nothing was open any more.
   */
  async userLeaves(session: HandoffSessionRecord): Promise<{ outcome: 'cancelled' | 'ended' | 'none'; session: HandoffSessionRecord }> {
    let current: HandoffSessionRecord | null = session;
    for (let attempt = 0; attempt < 3 && current && OPEN.includes(current.status); attempt++) {
      const from = current;
      const wasActive = from.status === 'active';
      try {
        const updated = await this.repo.transition(
          from.id,
          from.version,
          [from.status],
          { status: wasActive ? 'ended' : 'cancelled', endedBy: 'user', endedAt: this.clock() },
          this.clock(),
          async (tx, s) => {
            await this.enqueueCardUpdate(tx, s);
            if (wasActive) {
              await this.enqueue(tx, HANDOFF_TO_AGENTS_KIND, agentsTarget(s), { sessionId: s.id, notice: 'endedByUser' } satisfies HandoffToAgentsPayload, { orderingKey: agentsKey(s) });
            }
          },
        );
        this.notify();
        return { outcome: wasActive ? 'ended' : 'cancelled', session: updated };
      } catch (err) {
        if (!(err instanceof StaleHandoffError)) throw err;
        current = err.current; // taken meanwhile: leave from the new state
      }
    }
    return { outcome: 'none', session: current ?? session };
  }

  /**
   * An agent takes the conversation. Compare-and-set on the version the agent's card showed: when two agents
   * click at once, one wins and the other learns who has it (`taken`).
   */
  async accept(sessionId: number, expectedVersion: number | undefined, agent: HandoffAgent): Promise<AgentActionOutcome> {
    let session = await this.repo.findById(sessionId);
    if (!session) return { ok: false, reason: 'not_found' };
    let version = expectedVersion ?? session.version;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (session.status === 'active') {
        return session.agentId === agent.id ? { ok: true, session, already: true } : { ok: false, reason: 'taken', session };
      }
      if (session.status !== 'waiting') return { ok: false, reason: 'closed', session };
      try {
        const now = this.clock();
        const [last] = await this.repo.messages(sessionId, { last: 1, direction: 'user' });
        const updated = await this.repo.transition(
          sessionId,
          version,
          ['waiting'],
          { status: 'active', agentId: agent.id, agentAadObjectId: agent.aadObjectId ?? null, agentName: agent.name ?? null, acceptedAt: now },
          now,
          async (tx, s) => {
            await this.enqueueCardUpdate(tx, s);
            await this.enqueue(tx, HANDOFF_TO_AGENTS_KIND, agentsTarget(s), { sessionId: s.id, notice: 'taken', upToMessageId: last?.id ?? 0 } satisfies HandoffToAgentsPayload, {
              orderingKey: agentsKey(s),
            });
            await this.enqueue(tx, HANDOFF_TO_USER_KIND, userTarget(s), { sessionId: s.id, notice: 'accepted' } satisfies HandoffToUserPayload, { orderingKey: userKey(s) });
          },
        );
        this.notify();
        return { ok: true, session: updated };
      } catch (err) {
        if (!(err instanceof StaleHandoffError) || !err.current) throw err;
        session = err.current;
        // Still waiting means only the card's version was old (nobody took it): try once more on the current one.
        version = session.version;
      }
    }
    return { ok: false, reason: session.status === 'active' ? 'taken' : 'closed', session };
  }

  /** An agent hands the conversation back to the bot (`handoff.end` or « /fin » in the thread). */
  async endByAgent(sessionId: number, agent: HandoffAgent): Promise<AgentActionOutcome> {
    let session = await this.repo.findById(sessionId);
    if (!session) return { ok: false, reason: 'not_found' };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (session.status === 'waiting') return { ok: false, reason: 'not_active', session };
      if (session.status !== 'active') return { ok: false, reason: 'closed', session };
      try {
        const now = this.clock();
        const updated = await this.repo.transition(
          sessionId,
          session.version,
          ['active'],
          { status: 'ended', endedBy: 'agent', endedByName: agent.name ?? null, endedAt: now },
          now,
          async (tx, s) => {
            await this.enqueueCardUpdate(tx, s);
            await this.enqueue(tx, HANDOFF_TO_AGENTS_KIND, agentsTarget(s), { sessionId: s.id, notice: 'endedByAgent' } satisfies HandoffToAgentsPayload, { orderingKey: agentsKey(s) });
            await this.enqueue(tx, HANDOFF_TO_USER_KIND, userTarget(s), { sessionId: s.id, notice: 'endedByAgent' } satisfies HandoffToUserPayload, { orderingKey: userKey(s) });
          },
        );
        this.notify();
        return { ok: true, session: updated };
      } catch (err) {
        if (!(err instanceof StaleHandoffError) || !err.current) throw err;
        session = err.current;
      }
    }
    return { ok: false, reason: 'closed', session };
  }

  /** An agent's reply in the thread: stored and relayed to the user under the agent's first name. */
  async agentWrote(session: HandoffSessionRecord, agent: HandoffAgent, text: string): Promise<AgentMessageOutcome> {
    if (session.status === 'waiting') return { ok: false, reason: 'waiting' };
    if (session.status !== 'active') return { ok: false, reason: 'not_active' };
    // A secret code or a password is given by phone, never in a chat (RAMQ: « en évitant le courriel »).
    if (looksLikeSecret(text)) return { ok: false, reason: 'withheld' };
    const message = await this.repo.append(
      session,
      { direction: 'agent', authorId: agent.id, authorName: firstNameOf(agent.name) ?? null, text },
      this.clock(),
      async (tx, m) => {
        await this.enqueue(tx, HANDOFF_TO_USER_KIND, userTarget(session), { sessionId: session.id, notice: 'message', messageId: m.id } satisfies HandoffToUserPayload, {
          orderingKey: userKey(session),
        });
      },
    );
    this.notify();
    return { ok: true, message };
  }

  /**
   * Tells users who have waited `waitMinutes` without an agent (once per session) and marks their card.
   * @remarks Safe with several instances sweeping at once, and after a crash between the two steps: the notice
   * has a unique dedupe key in the outbox (enqueued once), and marking the session is a conditional update
   * (one instance marks it and refreshes the card). No interactive transaction: a sweep never holds a lock.
   * @returns how many sessions this call marked.
   */
  async sweepWaiting(limit = 50): Promise<number> {
    const now = this.clock();
    const due = await this.repo.dueForWaitNotice(new Date(now.getTime() - this.options.waitMinutes * 60_000), limit);
    let told = 0;
    for (const s of due) {
      await this.options.outbox.enqueue(
        {
          kind: HANDOFF_TO_USER_KIND,
          target: userTarget(s),
          payload: { sessionId: s.id, notice: 'waitTimeout' } satisfies HandoffToUserPayload,
          dedupeKey: `handoff:${s.id}:waitTimeout`,
          orderingKey: userKey(s),
        },
        now,
      );
      if (await this.repo.markWaitNotified(s.id, now)) {
        await this.options.outbox.enqueue({ kind: HANDOFF_CARD_KIND, target: agentsTarget(s), payload: { sessionId: s.id, op: 'update' } satisfies HandoffCardPayload, orderingKey: agentsKey(s) }, now);
        told++;
      }
    }
    if (told) this.notify();
    return told;
  }

  /** A transcript entry (rendering a relay). */
  message(id: number): Promise<HandoffMessageRecord | null> {
    return this.repo.findMessage(id);
  }

  /** The transcript of a session, oldest first (`last`: only the newest entries). */
  messages(sessionId: number, options: { last?: number; direction?: 'user' | 'agent'; upToId?: number } = {}): Promise<HandoffMessageRecord[]> {
    return this.repo.messages(sessionId, options);
  }

  /** Records where the agents' card was posted. */
  cardPosted(sessionId: number, card: { activityId: string; conversationId: string }): Promise<void> {
    return this.repo.setCard(sessionId, card, this.clock());
  }

  /** The handoffs of the requester of an access request, newest first (a request's card offers their transcripts). */
  async sessionsForRequest(requestId: number): Promise<HandoffSessionRecord[]> {
    const userId = await this.options.requesterOf?.(requestId);
    return userId ? this.repo.listByUser(userId) : [];
  }

  /** A user's handoffs, newest first. */
  sessionsOfUser(userId: string): Promise<HandoffSessionRecord[]> {
    return this.repo.listByUser(userId);
  }

  private async enqueueCardUpdate(tx: DbTx, s: HandoffSessionRecord): Promise<void> {
    await this.enqueue(tx, HANDOFF_CARD_KIND, agentsTarget(s), { sessionId: s.id, op: 'update' } satisfies HandoffCardPayload, { orderingKey: agentsKey(s) });
  }

  private async enqueue(tx: DbTx, kind: string, target: OutboxTarget, payload: object, keys: { dedupeKey?: string; orderingKey?: string }): Promise<void> {
    await OutboxRepository.enqueue(tx, { kind, target, payload, ...keys }, this.clock());
  }

  private notify(): void {
    this.options.onEnqueued?.();
  }
}

/** The agents' channel of a session (card and thread). */
export function agentsTarget(s: HandoffSessionRecord): OutboxTarget {
  return { type: 'channel', teamId: s.teamId, ...(s.channelId ? { channelId: s.channelId } : {}) };
}

/** The user's chat of a session. */
export function userTarget(s: HandoffSessionRecord): OutboxTarget {
  return { type: 'conversation', conversationId: s.userConversationId };
}

/** Card post, card updates and thread messages go out one at a time, in order (the thread needs the card). */
const agentsKey = (s: HandoffSessionRecord) => `handoff:${s.id}:agents`;
/** Notices and relays to the user go out in order. */
const userKey = (s: HandoffSessionRecord) => `handoff:${s.id}:user`;
