import { randomUUID } from 'node:crypto';

/** Builds Teams-shaped activities for HTTP tests. */
export class TeamsUser {
  private counter = 0;
  constructor(
    readonly serviceUrl: string,
    readonly userId = `29:user-${randomUUID().slice(0, 8)}`,
    readonly conversationId = `a:conv-${randomUUID().slice(0, 8)}`,
    readonly locale = 'fr-CA',
    readonly name = 'Dre Test',
  ) {}

  private base(extra: Record<string, unknown>) {
    return {
      id: `act-${++this.counter}-${randomUUID().slice(0, 6)}`,
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: this.userId, name: this.name, aadObjectId: `aad-${this.userId}` },
      conversation: { id: this.conversationId, conversationType: 'personal', tenantId: 'tenant-test' },
      recipient: { id: '28:bot', name: 'Assistant DMA' },
      locale: this.locale,
      channelData: { tenant: { id: 'tenant-test' } },
      ...extra,
    };
  }

  message(text: string, extra: Record<string, unknown> = {}) {
    return this.base({ type: 'message', text, ...extra });
  }

  /** An Action.Submit from a card: a message with `value`. */
  submit(value: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return this.base({ type: 'message', value, ...extra });
  }

  /** An Action.Execute from a card: an `adaptiveCard/action` invoke. */
  execute(verb: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return this.base({ type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } }, ...extra });
  }
}

/** Posts an activity to the bot's /api/messages and returns status and parsed body. */
export async function postActivity(botPort: number, activity: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`http://127.0.0.1:${botPort}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof activity === 'string' ? activity : JSON.stringify(activity),
  });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

/** Text of every card TextBlock and every plain text of a list of activities, for assertions. */
export function visibleText(activities: any[]): string {
  const out: string[] = [];
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node.text === 'string') out.push(node.text);
    if (typeof node.title === 'string') out.push(node.title);
    if (typeof node.label === 'string') out.push(node.label);
    Object.values(node).forEach(walk);
  };
  for (const a of activities) {
    if (typeof a.text === 'string') out.push(a.text);
    walk(a.attachments);
  }
  return out.join('\n');
}
