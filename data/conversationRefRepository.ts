import type { DbTx } from './db';

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

/** Stores and finds conversation references (for proactive messages). */
export class ConversationRefRepository {
  constructor(private readonly db: DbTx) {}

  async save(ref: StoredConversationRef): Promise<void> {
    const data = { ...ref, updatedAt: new Date() };
    await this.db.conversationRef.upsert({ where: { conversationId: ref.conversationId }, create: data, update: data });
  }

  async find(conversationId: string): Promise<StoredConversationRef | null> {
    return this.db.conversationRef.findUnique({ where: { conversationId } });
  }
}
