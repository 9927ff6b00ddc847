import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';

type ActivitySet = { activities: { type: string; from?: { id?: string } }[]; watermark: number };

describe(`local Direct Line of the chat page over HTTP (${mainProvider()})`, () => {
  let database: TestDatabaseUrl;
  let app: RunningApp;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, { LOCAL_CHAT: 'true', DIRECTLINE_PORT: '0' });
    base = `http://127.0.0.1:${app.directLinePort}/directline`;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  async function poll(conversationId: string, watermark: number | ''): Promise<ActivitySet> {
    const res = await fetch(`${base}/conversations/${conversationId}/activities?watermark=${watermark}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ActivitySet;
  }

  test('when Web Chat polls with a watermark, then only the activities after it come back (not the whole history again)', async () => {
    const created = await fetch(`${base}/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const { conversationId } = (await created.json()) as { conversationId: string };
    const post = await fetch(`${base}/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'Bonjour', from: { id: 'local-user-1' }, locale: 'fr-CA' }),
    });
    expect(post.status).toBe(200);

    const first = await poll(conversationId, '');
    expect(first.activities.map((a) => a.type)).toEqual(['message', 'message']); // « Bonjour » and the welcome card
    expect(first.watermark).toBe(2);

    const next = await poll(conversationId, first.watermark);
    expect(next).toEqual({ activities: [], watermark: 2 });
    expect((await poll(conversationId, 1)).activities).toHaveLength(1);
  });
});
