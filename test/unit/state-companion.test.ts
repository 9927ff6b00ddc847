import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { BotStateRepository, type CompanionWrite } from '../../data/botStateRepository';
import { conversationRefWrite, ConversationRefRepository, type StoredConversationRef } from '../../data/conversationRefRepository';
import type { Db } from '../../data/db';
import { sqlRunnerOf } from '../../data/sql';
import { DatabaseStorage } from '../../bot/services/databaseStorage';
import { attachToStateWrite, LeanConversationState, takeStateCompanion } from '../../bot/services/leanBotState';
import { countingClient } from '../helpers/countingRunner';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * The driver's error for a NULL scope. Matched by its message, not with `toThrow`: better-sqlite3 builds its errors
 * with the constructor of the first test file that loaded it in this jest worker, which is no Error of this file's realm.
 */
const NOT_NULL_VIOLATED = { message: expect.stringMatching(/not[- ]null/i) as unknown as string };

function ref(conversationId: string, overrides: Partial<StoredConversationRef> = {}): StoredConversationRef {
  return {
    conversationId,
    scope: 'personal',
    userId: 'u1',
    aadObjectId: null,
    teamId: null,
    channelId: null,
    locale: 'fr-CA',
    reference: JSON.stringify({ conversation: { id: conversationId }, serviceUrl: 'https://smba.example/' }),
    ...overrides,
  };
}

function context(conversationId: string): TurnContext {
  const activity: Partial<Activity> = {
    type: 'message',
    channelId: 'msteams',
    conversation: { id: conversationId } as Activity['conversation'],
    from: { id: 'u1' } as Activity['from'],
    recipient: { id: 'bot' } as Activity['recipient'],
  };
  return new TurnContext(new TestAdapter(), activity);
}

/** The reference's upsert with a NULL scope: the database refuses it (NOT NULL). */
function withoutScope(write: CompanionWrite): CompanionWrite {
  return { ...write, params: write.params.map((v, i) => (i === 1 ? null : v)) };
}

async function stateData(db: Db, key: string): Promise<string | undefined> {
  return (await db.botStateItem.findUnique({ where: { key } }))?.data;
}

describe.each(providersUnderTest())('a statement written with a state item on %s', (provider) => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDatabase(provider);
  });

  afterAll(async () => {
    await db.dispose();
  });

  it('is made with the overwrite in one statement (PostgreSQL) or one group-commit entry (SQLite)', async () => {
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const repo = new BotStateRepository(client);
    expect(repo.takesCompanions).toBe(true);
    await repo.write('conv/one', '{"flags":{"welcomed":true}}', '*', conversationRefWrite(ref('one')));
    expect(calls).toEqual([provider === 'postgresql' ? 'execute' : 'together']);
    expect(await stateData(db.prisma, 'conv/one')).toBe('{"flags":{"welcomed":true}}');
    const stored = await new ConversationRefRepository(db.prisma).find('one');
    expect(stored).toMatchObject({ conversationId: 'one', scope: 'personal', userId: 'u1', locale: 'fr-CA', reference: ref('one').reference });
  });

  it('without a key, goes alone with its overwrite, still in one statement (PostgreSQL) or one group-commit entry (SQLite)', async () => {
    const { client, calls } = countingClient(db.prisma, sqlRunnerOf(db.prisma)!);
    const { key: _key, ...keyless } = conversationRefWrite(ref('keyless'));
    await new BotStateRepository(client).write('conv/keyless', '{"k":1}', '*', keyless);
    expect(calls).toEqual([provider === 'postgresql' ? 'execute' : 'together']);
    expect(await stateData(db.prisma, 'conv/keyless')).toBe('{"k":1}');
    expect(await new ConversationRefRepository(db.prisma).find('keyless')).toMatchObject({ conversationId: 'keyless', userId: 'u1' });
  });

  it('replaces a stored reference, as saving it alone does', async () => {
    const repo = new BotStateRepository(db.prisma);
    await repo.write('conv/two', '{}', '*', conversationRefWrite(ref('two', { locale: 'fr-CA' })));
    await repo.write('conv/two', '{"n":2}', '*', conversationRefWrite(ref('two', { locale: 'en-US', teamId: 't9' })));
    expect(await new ConversationRefRepository(db.prisma).find('two')).toMatchObject({ locale: 'en-US', teamId: 't9' });
    expect(await stateData(db.prisma, 'conv/two')).toBe('{"n":2}');
  });

  it('fails the write when it fails; on PostgreSQL the state item is not written either (one statement)', async () => {
    const repo = new BotStateRepository(db.prisma);
    const broken = withoutScope(conversationRefWrite(ref('three')));
    await expect(repo.write('conv/three', '{"x":1}', '*', broken)).rejects.toMatchObject(NOT_NULL_VIOLATED);
    expect(await new ConversationRefRepository(db.prisma).find('three')).toBeNull();
    // SQLite runs the two statements of the entry one after the other, each kept on its own (see SqlRunner.together).
    expect(await stateData(db.prisma, 'conv/three')).toBe(provider === 'postgresql' ? undefined : '{"x":1}');
  });

  it('is made on the eTag-checked path too', async () => {
    const repo = new BotStateRepository(db.prisma);
    const etag = await repo.write('conv/four', '{"v":1}');
    await repo.write('conv/four', '{"v":2}', etag, conversationRefWrite(ref('four')));
    expect(await stateData(db.prisma, 'conv/four')).toBe('{"v":2}');
    expect(await new ConversationRefRepository(db.prisma).find('four')).not.toBeNull();
  });

  it('is refused without the plain-SQL runner (Prisma only)', async () => {
    const prismaOnly = db.prisma.$extends({}) as unknown as Db;
    const repo = new BotStateRepository(prismaOnly);
    expect(repo.takesCompanions).toBe(false);
    expect(new DatabaseStorage(prismaOnly).takesCompanions).toBe(false);
    await expect(repo.write('conv/five', '{}', '*', conversationRefWrite(ref('five')))).rejects.toThrow(/plain-SQL runner/);
  });

  describe('through the conversation state of a turn', () => {
    /** A turn of conversation `id` on the database, its conversation state loaded. */
    async function turn(id: string): Promise<{ state: LeanConversationState; ctx: TurnContext }> {
      const state = new LeanConversationState(new DatabaseStorage(db.prisma));
      const ctx = context(id);
      await state.load(ctx);
      return { state, ctx };
    }

    /** What a first turn changes in the state: the conversation is welcomed. */
    const welcome = (state: LeanConversationState, ctx: TurnContext) => state.createProperty<{ welcomed?: boolean }>('flags').set(ctx, { welcomed: true });

    it('goes with the state when the turn changed it, and is not given back', async () => {
      const { state, ctx } = await turn('six');
      expect(attachToStateWrite(ctx, state, conversationRefWrite(ref('six')))).toBe(true);
      await welcome(state, ctx);
      await state.saveChanges(ctx);
      expect(await new ConversationRefRepository(db.prisma).find('six')).not.toBeNull();
      expect(takeStateCompanion(ctx, state)).toBeUndefined();
    });

    it('is given back when the state was unchanged (nothing written)', async () => {
      const { state, ctx } = await turn('seven');
      const write = conversationRefWrite(ref('seven'));
      expect(attachToStateWrite(ctx, state, write)).toBe(true);
      await state.saveChanges(ctx);
      expect(await new ConversationRefRepository(db.prisma).find('seven')).toBeNull();
      expect(takeStateCompanion(ctx, state)).toBe(write);
      expect(takeStateCompanion(ctx, state)).toBeUndefined();
    });

    it("is refused by botbuilder's own ConversationState, whose write would leave it out", () => {
      const state = new ConversationState(new DatabaseStorage(db.prisma));
      const ctx = context('ten');
      expect(attachToStateWrite(ctx, state, conversationRefWrite(ref('ten')))).toBe(false);
      expect(takeStateCompanion(ctx, state)).toBeUndefined();
    });

    it('stays with the turn when the write fails, for the caller to see', async () => {
      const { state, ctx } = await turn('eight');
      const broken = withoutScope(conversationRefWrite(ref('eight')));
      attachToStateWrite(ctx, state, broken);
      await welcome(state, ctx);
      await expect(state.saveChanges(ctx)).rejects.toMatchObject(NOT_NULL_VIOLATED);
      expect(takeStateCompanion(ctx, state)).toBe(broken);
    });
  });
});

describe('a statement written with a state item, on a storage that cannot', () => {
  it('is refused by a state on MemoryStorage: the caller writes it alone', () => {
    const state = new LeanConversationState(new MemoryStorage());
    const ctx = context('nine');
    expect(attachToStateWrite(ctx, state, conversationRefWrite(ref('nine')))).toBe(false);
    expect(takeStateCompanion(ctx, state)).toBeUndefined();
  });
});
