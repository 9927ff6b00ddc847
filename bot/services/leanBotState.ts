import { ConversationState, UserState, type BotState, type CachedBotState, type TurnContext } from 'botbuilder';
import type { CompanionWrite } from '../../data/botStateRepository';
import { DatabaseStorage, storedJson, storedJsonOf } from './databaseStorage';

type BotStateClass = new (...args: any[]) => BotState;

/** The turn's cache entry key of a state (botbuilder's private `stateKey`: one symbol per state object). */
function cacheKeyOf(state: BotState): symbol {
  return (state as unknown as { stateKey: symbol }).stateKey;
}

/**
 * Per lean state (set when it is built; only lean states make a companion with their write): the turn's cache entry
 * key of a statement to make with that state's write (see {@link attachToStateWrite}).
 */
const companionKeys = new WeakMap<BotState, symbol>();

/**
 * Makes `write` with this turn's write of `state` (when its storage is a {@link DatabaseStorage} that can: one statement
 * or group-commit entry for both).
 * @returns false when it cannot (another storage, or no plain-SQL runner): make the write some other way.
 * @remarks A state that turns out unchanged is not written: {@link takeStateCompanion} after saving gives back what no
 * write took. One companion per state and turn; a second replaces the first.
 */
export function attachToStateWrite(context: TurnContext, state: BotState, write: CompanionWrite): boolean {
  const key = companionKeys.get(state);
  const storage = (state as unknown as { storage: unknown }).storage;
  if (!key || !(storage instanceof DatabaseStorage) || !storage.takesCompanions) return false;
  context.turnState.set(key, write);
  return true;
}

/** Takes back the statement {@link attachToStateWrite} left with `state` if no write made it (undefined otherwise). */
export function takeStateCompanion(context: TurnContext, state: BotState): CompanionWrite | undefined {
  const key = companionKeys.get(state);
  const write = key && (context.turnState.get(key) as CompanionWrite | undefined);
  if (!write) return undefined;
  context.turnState.delete(key);
  return write;
}

/**
 * botbuilder's BotState with a cheaper change check: the same loading, caching and saving (same cache entry in
 * `turnState`, so property accessors, `clear`, `delete` and `get` work unchanged), but a state's fingerprint is its
 * JSON instead of a SHA-256 of a replacer-driven stringify.
 * @remarks botbuilder hashes each state when it loads it and again when it saves it (and once more after writing):
 * six stringifications with a replacer and six SHA-256 per turn for the conversation and the user state (~3 % of the
 * bot's CPU in a bench profile). Here the state read from {@link DatabaseStorage} brings the JSON it was stored as,
 * which is its fingerprint; saving stringifies each state once. Equal JSON means unchanged, as equal hashes did.
 */
function leanState<T extends BotStateClass>(Base: T) {
  return class extends Base {
    constructor(...args: any[]) {
      super(...args);
      companionKeys.set(this, Symbol('stateCompanion'));
    }

    override async load(context: TurnContext, force = false): Promise<any> {
      const cached = context.turnState.get(cacheKeyOf(this)) as CachedBotState | undefined;
      if (!force && cached?.state) return cached.state;
      const key = await this.storageKey(context);
      const items = await this.storage.read([key]);
      const state = (items[key] as CachedBotState['state'] | undefined) ?? {};
      context.turnState.set(cacheKeyOf(this), { state, hash: storedJsonOf(state) ?? storedJson(state) });
      return state;
    }

    override async saveChanges(context: TurnContext, force = false): Promise<void> {
      let cached = context.turnState.get(cacheKeyOf(this)) as CachedBotState | undefined;
      let json: string | undefined;
      if (!force) {
        if (!cached) return;
        json = storedJson(cached.state);
        if (json === cached.hash) return;
      }
      const key = await this.storageKey(context);
      cached ??= { state: {}, hash: '' };
      cached.state.eTag = '*';
      // A statement attached to this write (attachToStateWrite) goes with it; it is taken only if the write succeeds.
      const companionKey = companionKeys.get(this)!;
      const companion = context.turnState.get(companionKey) as CompanionWrite | undefined;
      if (companion && this.storage instanceof DatabaseStorage) {
        await this.storage.write({ [key]: cached.state }, { [key]: companion });
        context.turnState.delete(companionKey);
      } else {
        await this.storage.write({ [key]: cached.state });
      }
      cached.hash = json ?? storedJson(cached.state);
      context.turnState.set(cacheKeyOf(this), cached);
    }
  };
}

/** ConversationState with the cheaper change check (see {@link leanState}). */
export class LeanConversationState extends leanState(ConversationState) {}

/** UserState with the cheaper change check (see {@link leanState}). */
export class LeanUserState extends leanState(UserState) {}
