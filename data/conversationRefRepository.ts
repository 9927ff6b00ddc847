import type { DbTx } from './db';
import type { CompanionWrite } from './botStateRepository';
import { sqlRunnerOf, type SqlRunner, type SqlValue } from './sql';

/** Where to reach a conversation later, as stored. */
export interface StoredConversationRef {
  conversationId: string;
  scope: string;
  userId?: string | null;
  aadObjectId?: string | null;
  teamId?: string | null;
  channelId?: string | null;
  locale?: string | null;
  /** JSON of the channel's conversation reference. */
  reference: string;
}

const UPSERT = `INSERT INTO "conversation_refs" ("conversation_id", "scope", "user_id", "aad_object_id", "team_id", "channel_id", "locale", "reference", "updated_at")
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT ("conversation_id") DO UPDATE SET "scope" = excluded."scope", "user_id" = excluded."user_id",
    "aad_object_id" = excluded."aad_object_id", "team_id" = excluded."team_id", "channel_id" = excluded."channel_id",
    "locale" = excluded."locale", "reference" = excluded."reference", "updated_at" = excluded."updated_at"`;

function upsertParams(ref: StoredConversationRef, updatedAt: Date): SqlValue[] {
  return [ref.conversationId, ref.scope, ref.userId ?? null, ref.aadObjectId ?? null, ref.teamId ?? null, ref.channelId ?? null, ref.locale ?? null, ref.reference, updatedAt];
}

/**
 * The same create-or-replace as {@link ConversationRefRepository.save}, as a statement to make with a state item's
 * write ({@link CompanionWrite}): the first turn of a conversation stores its reference with its state.
 */
export function conversationRefWrite(ref: StoredConversationRef, updatedAt = new Date()): CompanionWrite {
  return { sql: UPSERT, params: upsertParams(ref, updatedAt), key: `conversation_refs:${ref.conversationId}` };
}

/** Stores and finds conversation references (for proactive messages). */
export class ConversationRefRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: DbTx) {
    this.sql = sqlRunnerOf(db);
  }

  /** Creates or replaces the reference (on the first message of every conversation: plain SQL when available). */
  async save(ref: StoredConversationRef): Promise<void> {
    const updatedAt = new Date();
    if (this.sql) {
      await this.sql.execute(UPSERT, upsertParams(ref, updatedAt));
      return;
    }
    const data = { ...ref, updatedAt };
    await this.db.conversationRef.upsert({ where: { conversationId: ref.conversationId }, create: data, update: data });
  }

  async find(conversationId: string): Promise<StoredConversationRef | null> {
    return this.db.conversationRef.findUnique({ where: { conversationId } });
  }
}
