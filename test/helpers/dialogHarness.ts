import { TestAdapter, type Activity, type Storage } from 'botbuilder';
import { buildBot } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import type { RequestService } from '../../domain/requests/requestService';
import { createTestDatabase } from './database';
import { visibleText } from './teams';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * Drives the real activity handler through botbuilder's TestAdapter, on a real migrated database,
 * one turn at a time, and returns what the bot answered in that turn.
 */
export class DialogHarness {
  private counter = 0;
  private constructor(
    readonly adapter: TestAdapter,
    readonly db: Db,
    readonly requests: RequestService,
    readonly locale: string,
    readonly userId: string,
    readonly conversationId: string,
  ) {}

  static async create(
    options: { locale?: string; userId?: string; conversationId?: string; db?: Db; storage?: Storage; now?: () => Date; env?: Record<string, string> } = {},
  ): Promise<DialogHarness> {
    const db = options.db ?? (await createTestDatabase());
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, ...options.env });
    const { bot, requests } = buildBot(config, db, createLogger('silent'), options.now, options.storage);
    const userId = options.userId ?? `user-${Math.random().toString(36).slice(2, 8)}`;
    const conversationId = options.conversationId ?? `conv-${Math.random().toString(36).slice(2, 8)}`;
    const adapter = new TestAdapter((context) => bot.run(context), {
      channelId: 'test',
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      from: { id: userId, name: 'Dre Utilisatrice' },
      recipient: { id: 'bot', name: 'Assistant DMA' },
      serviceUrl: 'https://test.invalid',
    });
    adapter.locale = options.locale ?? 'fr-CA';
    return new DialogHarness(adapter, db, requests, adapter.locale, userId, conversationId);
  }

  /** Sends one activity and returns the bot's replies for that turn. */
  async turn(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
    this.adapter.activeQueue.splice(0);
    await this.adapter.processActivity({ id: `a-${++this.counter}`, locale: this.locale, ...activity });
    return this.adapter.activeQueue.splice(0);
  }

  say(text: string) {
    return this.turn({ type: 'message', text });
  }

  /** An Action.Submit from a card. */
  submit(value: Record<string, unknown>) {
    return this.turn({ type: 'message', value });
  }

  /** An Action.Execute from a card. */
  execute(verb: string, data: Record<string, unknown>) {
    return this.turn({ type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } } as Partial<Activity>);
  }

  async dispose(): Promise<void> {
    await this.db.dispose();
  }
}

/** The last card of a turn's replies (a message may show several, e.g. the welcome above the first answer). */
export function lastCard(replies: Partial<Activity>[]): any {
  const cards = replies.flatMap((r) => r.attachments ?? []);
  return cards.length ? cards[cards.length - 1].content : undefined;
}

/** Every input id of a card. */
export function inputIds(card: any): string[] {
  const ids: string[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && n.id) ids.push(n.id);
    Object.values(n).forEach(walk);
  };
  walk(card);
  return ids;
}

/** Every input of a card as id → value (what a submit would send back unchanged). */
export function inputValues(card: any): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && n.id) out[n.id] = n.value ?? '';
    Object.values(n).forEach(walk);
  };
  walk(card);
  return out;
}

/** The data of the card action with this verb. */
export function actionData(card: any, verb: string): Record<string, unknown> {
  const found: any[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    if (n.data && n.data.verb === verb) found.push(n.data);
    else if (n.verb === verb) found.push({ ...(n.data ?? {}), verb });
    Object.values(n).forEach(walk);
  };
  walk(card);
  if (!found.length) throw new Error(`no action with verb ${verb}`);
  return found[0];
}

export { visibleText };
