import { ConversationState, MemoryStorage, TestAdapter, TurnContext, UserState, type Activity, type BotState, type Storage, type StoreItems } from 'botbuilder';
import { DatabaseStorage } from '../../bot/services/databaseStorage';
import { LeanConversationState, LeanUserState } from '../../bot/services/leanBotState';
import { createTestDatabase } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/** Records what reaches the storage: each write's keys and items as JSON. */
class RecordingStorage implements Storage {
  readonly writes: string[] = [];
  constructor(private readonly inner: Storage) {}
  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }
  write(changes: StoreItems): Promise<void> {
    this.writes.push(JSON.stringify(changes));
    return this.inner.write(changes);
  }
  delete(keys: string[]): Promise<void> {
    this.writes.push(`delete ${keys.join(',')}`);
    return this.inner.delete(keys);
  }
}

function context(conversationId: string, userId = 'u1'): TurnContext {
  const activity: Partial<Activity> = {
    type: 'message',
    channelId: 'msteams',
    conversation: { id: conversationId } as Activity['conversation'],
    from: { id: userId } as Activity['from'],
    recipient: { id: 'bot' } as Activity['recipient'],
  };
  return new TurnContext(new TestAdapter(), activity);
}

/** A scripted series of turns on a conversation and a user state; returns what each turn read. */
async function script(conversation: BotState, user: BotState): Promise<unknown[]> {
  const seen: unknown[] = [];
  const dialog = conversation.createProperty<{ step: number; values?: Record<string, string> }>('dialog');
  const profile = user.createProperty<{ lang?: string }>('profile');
  const turn = async (id: string, fn: (ctx: TurnContext) => Promise<void>, force = false) => {
    const ctx = context(id);
    await Promise.all([conversation.load(ctx), user.load(ctx)]);
    await fn(ctx);
    await conversation.saveChanges(ctx, force);
    await user.saveChanges(ctx, force);
  };
  // First turn: both created.
  await turn('c1', async (ctx) => {
    seen.push(await dialog.get(ctx, { step: 1 }));
    (await profile.get(ctx, {})).lang = 'fr';
  });
  // Read only, nothing changed: no write.
  await turn('c1', async (ctx) => {
    seen.push(await dialog.get(ctx), await profile.get(ctx));
  });
  // A nested change.
  await turn('c1', async (ctx) => {
    const d = (await dialog.get(ctx))!;
    d.step = 2;
    d.values = { email: 'x@example.org', 'clé': 'é' };
  });
  // A change of the same length: still a change.
  await turn('c1', async (ctx) => {
    (await profile.get(ctx, {})).lang = 'en';
  });
  // A change that puts back the same values: unchanged.
  await turn('c1', async (ctx) => {
    const d = (await dialog.get(ctx))!;
    d.values = { email: 'x@example.org', 'clé': 'é' };
  });
  // Deleted property, then force save with nothing changed.
  await turn('c1', async (ctx) => {
    await dialog.delete(ctx);
  });
  await turn('c1', async () => undefined, true);
  // clear() forces a write of an empty state; delete() removes it.
  await turn('c1', async (ctx) => {
    await conversation.clear(ctx);
  });
  const ctx = context('c1');
  await conversation.load(ctx);
  seen.push(conversation.get(ctx));
  await conversation.delete(ctx);
  seen.push(await conversation.load(context('c1'), true));
  // Another conversation, the same user: the user state is shared.
  await turn('c2', async (c) => {
    seen.push(await profile.get(c));
  });
  return seen;
}

/** Writes with eTags and dates removed (they differ from one run to another). */
function comparable(writes: string[]): string[] {
  return writes.map((w) => w.replace(/"eTag":"[^"]*"/g, '"eTag":"…"'));
}

describe('lean BotState: same loads, same writes as botbuilder’s ConversationState and UserState', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => db?.dispose());

  test.each([
    ['DatabaseStorage (the JSON it was stored as starts the change check)', () => new DatabaseStorage(db.prisma)],
    ['MemoryStorage (the change check stringifies on load)', () => new MemoryStorage()],
  ])('on %s', async (_name, makeStorage) => {
    // Two databases' worth of isolation: each pair of states gets its own keys.
    const stock = new RecordingStorage(makeStorage());
    const stockSeen = await script(new ConversationState(stock, 'stock'), new UserState(stock, 'stock'));
    const lean = new RecordingStorage(makeStorage());
    const leanSeen = await script(new LeanConversationState(lean, 'lean'), new LeanUserState(lean, 'lean'));

    expect(comparable(leanSeen.map((v) => JSON.stringify(v) ?? 'undefined'))).toEqual(comparable(stockSeen.map((v) => JSON.stringify(v) ?? 'undefined')));
    expect(comparable(lean.writes).map((w) => w.replace(/lean/g, 'ns'))).toEqual(comparable(stock.writes).map((w) => w.replace(/stock/g, 'ns')));
    // The script does write (first turn, nested change, deletion, force, clear, delete) and skips unchanged turns.
    expect(lean.writes.length).toBeGreaterThanOrEqual(7);
    expect(lean.writes.length).toBeLessThan(2 * 9);
  });

  test('an item read from DatabaseStorage carries the JSON it was stored as, out of sight of copies and serialisation', async () => {
    const storage = new DatabaseStorage(db.prisma);
    await storage.write({ k: { b: 1, a: { c: [1, 'é'] }, eTag: '*' } });
    const item = (await storage.read(['k'])).k as Record<string, unknown>;
    const { storedJsonOf } = await import('../../bot/services/databaseStorage');
    expect(storedJsonOf(item)).toBe('{"b":1,"a":{"c":[1,"é"]}}');
    expect(Object.keys({ ...item })).toEqual(['b', 'a', 'eTag']);
    expect(JSON.stringify(item)).not.toContain('storedJson');
  });
});
