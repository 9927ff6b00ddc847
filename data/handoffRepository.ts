import { isUniqueViolation } from './sql';
import type { Db, DbTx } from './db';

export type HandoffStatus = 'waiting' | 'active' | 'ended' | 'cancelled';

/** A handoff session as stored (plain object). */
export interface HandoffSessionRecord {
  id: number;
  userId: string;
  userAadObjectId: string | null;
  userName: string | null;
  userConversationId: string;
  lang: string;
  status: HandoffStatus;
  lastRoute: string | null;
  teamId: string;
  channelId: string | null;
  cardActivityId: string | null;
  cardConversationId: string | null;
  agentId: string | null;
  agentAadObjectId: string | null;
  agentName: string | null;
  endedBy: string | null;
  endedByName: string | null;
  waitNotifiedAt: Date | null;
  version: number;
  requestedAt: Date;
  acceptedAt: Date | null;
  endedAt: Date | null;
  updatedAt: Date;
}

/** One transcript entry (plain object). */
export interface HandoffMessageRecord {
  id: number;
  sessionId: number;
  direction: 'user' | 'agent';
  authorId: string | null;
  authorName: string | null;
  /** Null when withheld (it looked like a password or a secret code). */
  text: string | null;
  withheld: boolean;
  beforeHandoff: boolean;
  at: Date;
}

/** What opening a session stores. */
export interface NewHandoffSession {
  userId: string;
  userAadObjectId?: string | null;
  userName?: string | null;
  userConversationId: string;
  lang: string;
  lastRoute?: string | null;
  teamId: string;
  channelId?: string | null;
}

export interface NewHandoffMessage {
  direction: 'user' | 'agent';
  authorId?: string | null;
  authorName?: string | null;
  text: string | null;
  withheld?: boolean;
  beforeHandoff?: boolean;
}

/** Columns a status change may set (the version is bumped by the repository). */
export type HandoffChanges = Partial<
  Pick<HandoffSessionRecord, 'status' | 'agentId' | 'agentAadObjectId' | 'agentName' | 'endedBy' | 'endedByName' | 'acceptedAt' | 'endedAt'>
>;

/** Thrown when a versioned change finds the session changed since it was read. */
export class StaleHandoffError extends Error {
  override name = 'StaleHandoffError';
  constructor(public readonly current: HandoffSessionRecord | null) {
    super('The handoff session changed since it was read');
  }
}

/** Runs inside the transaction of a change (e.g. to enqueue outbox rows). */
export type AlsoInTransaction = (tx: DbTx, session: HandoffSessionRecord) => Promise<void>;

const OPEN: HandoffStatus[] = ['waiting', 'active'];

type SessionRow = Omit<HandoffSessionRecord, 'status'> & { status: string };
type MessageRow = Omit<HandoffMessageRecord, 'direction'> & { direction: string };

const toSession = (row: SessionRow): HandoffSessionRecord => ({ ...row, status: row.status as HandoffStatus });
const toMessage = (row: MessageRow): HandoffMessageRecord => ({ ...row, direction: row.direction as 'user' | 'agent' });

/**
 * Stores handoff sessions and their transcripts.
 * @remarks Status changes are compare-and-set on the version column (two agents taking the same
 * conversation: one wins); marking the long-wait notice is a conditional update too.
 */
export class HandoffRepository {
  constructor(private readonly db: Db) {}

  /**
   * Opens a waiting session with its first transcript entries (what the user wrote just before), in one
   * transaction with whatever `alsoInTransaction` adds.
   * @returns `created: false` with the open session when the conversation already had one.
   */
  async open(
    input: NewHandoffSession,
    context: NewHandoffMessage[],
    now: Date,
    alsoInTransaction?: AlsoInTransaction,
  ): Promise<{ session: HandoffSessionRecord; created: boolean }> {
    const existing = await this.findOpenByConversation(input.userConversationId);
    if (existing) return { session: existing, created: false };
    try {
      const session = await this.db.$transaction(async (tx) => {
        const row = toSession(
          await tx.handoffSession.create({
            data: { ...input, status: 'waiting', requestedAt: now, updatedAt: now },
          }),
        );
        for (const entry of context) {
          await tx.handoffMessage.create({ data: { ...entry, sessionId: row.id, at: now } });
        }
        if (alsoInTransaction) await alsoInTransaction(tx, row);
        return row;
      });
      return { session, created: true };
    } catch (err) {
      if (isUniqueViolation(err)) {
        const again = await this.findOpenByConversation(input.userConversationId);
        if (again) return { session: again, created: false };
      }
      throw err;
    }
  }

  async findById(id: number): Promise<HandoffSessionRecord | null> {
    const row = await this.db.handoffSession.findUnique({ where: { id } });
    return row ? toSession(row) : null;
  }

  /** The waiting or active session of a user conversation, if any. */
  async findOpenByConversation(userConversationId: string): Promise<HandoffSessionRecord | null> {
    const row = await this.db.handoffSession.findFirst({ where: { userConversationId, status: { in: OPEN } }, orderBy: { id: 'desc' } });
    return row ? toSession(row) : null;
  }

  /**
   * The session whose agents' card thread is this conversation.
   * @remarks Matches the stored thread id, or (same team) the root message id Teams puts after `;messageid=`.
   */
  async findByThread(teamId: string, threadConversationId: string): Promise<HandoffSessionRecord | null> {
    const rootId = /;messageid=([^;]+)$/.exec(threadConversationId)?.[1];
    const row = await this.db.handoffSession.findFirst({
      where: {
        OR: [{ cardConversationId: threadConversationId }, ...(rootId ? [{ teamId, cardActivityId: rootId }] : [])],
      },
      orderBy: { id: 'desc' },
    });
    return row ? toSession(row) : null;
  }

  /** A user's sessions, newest first (to link transcripts to their requests). */
  async listByUser(userId: string, limit = 10): Promise<HandoffSessionRecord[]> {
    const rows = await this.db.handoffSession.findMany({ where: { userId }, orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }], take: limit });
    return rows.map(toSession);
  }

  /** Records where the agents' card was posted (not a status change: the version stays). */
  async setCard(id: number, card: { activityId: string; conversationId: string }, now: Date): Promise<void> {
    await this.db.handoffSession.update({
      where: { id },
      data: { cardActivityId: card.activityId, cardConversationId: card.conversationId, updatedAt: now },
    });
  }

  /**
   * Changes a session only if it still has `expectedVersion` and one of the `fromStatuses`.
   * @throws StaleHandoffError (with the current session) when someone else changed it first.
   */
  async transition(
    id: number,
    expectedVersion: number,
    fromStatuses: HandoffStatus[],
    changes: HandoffChanges,
    now: Date,
    alsoInTransaction?: AlsoInTransaction,
  ): Promise<HandoffSessionRecord> {
    const updated = await this.db.$transaction(async (tx) => {
      const res = await tx.handoffSession.updateMany({
        where: { id, version: expectedVersion, status: { in: fromStatuses } },
        data: { ...changes, version: { increment: 1 }, updatedAt: now },
      });
      if (res.count !== 1) return null;
      const row = toSession((await tx.handoffSession.findUnique({ where: { id } }))!);
      if (alsoInTransaction) await alsoInTransaction(tx, row);
      return row;
    });
    if (!updated) throw new StaleHandoffError(await this.findById(id));
    return updated;
  }

  /** Adds a transcript entry, in one transaction with whatever `alsoInTransaction` adds (e.g. its relay). */
  async append(
    session: HandoffSessionRecord,
    entry: NewHandoffMessage,
    now: Date,
    alsoInTransaction?: (tx: DbTx, message: HandoffMessageRecord) => Promise<void>,
  ): Promise<HandoffMessageRecord> {
    return this.db.$transaction(async (tx) => {
      const message = toMessage(await tx.handoffMessage.create({ data: { ...entry, sessionId: session.id, at: now } }));
      if (alsoInTransaction) await alsoInTransaction(tx, message);
      return message;
    });
  }

  async findMessage(id: number): Promise<HandoffMessageRecord | null> {
    const row = await this.db.handoffMessage.findUnique({ where: { id } });
    return row ? toMessage(row) : null;
  }

  /** The transcript, oldest first; `last` keeps only the newest entries (still oldest first). */
  async messages(sessionId: number, options: { last?: number; direction?: 'user' | 'agent'; upToId?: number } = {}): Promise<HandoffMessageRecord[]> {
    const where = {
      sessionId,
      ...(options.direction ? { direction: options.direction } : {}),
      ...(options.upToId !== undefined ? { id: { lte: options.upToId } } : {}),
    };
    if (options.last !== undefined) {
      const rows = await this.db.handoffMessage.findMany({ where, orderBy: { id: 'desc' }, take: options.last });
      return rows.reverse().map(toMessage);
    }
    const rows = await this.db.handoffMessage.findMany({ where, orderBy: { id: 'asc' } });
    return rows.map(toMessage);
  }

  async countMessages(sessionId: number): Promise<number> {
    return this.db.handoffMessage.count({ where: { sessionId } });
  }

  /** Waiting sessions requested at or before `requestedBefore` whose user was not yet told about the wait. */
  async dueForWaitNotice(requestedBefore: Date, limit: number): Promise<HandoffSessionRecord[]> {
    const rows = await this.db.handoffSession.findMany({
      where: { status: 'waiting', waitNotifiedAt: null, requestedAt: { lte: requestedBefore } },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toSession);
  }

  /**
   * Marks that the user was told about the wait (conditional update: when several instances sweep at once,
   * one of them marks it).
   * @returns false when the session was taken, closed or already marked meanwhile.
   */
  async markWaitNotified(id: number, now: Date): Promise<boolean> {
    const res = await this.db.handoffSession.updateMany({
      where: { id, status: 'waiting', waitNotifiedAt: null },
      data: { waitNotifiedAt: now, updatedAt: now },
    });
    return res.count === 1;
  }
}
