import { ActivityTypes, TestAdapter } from 'botbuilder';
import fc from 'fast-check';
import { OutboundPacingMiddleware } from '../../bot/middleware/outboundPacing';
import { OutboundPacer, TEAMS_CONVERSATION_LIMITS } from '../../bot/services/outboundPacer';

/** A virtual clock: `sleep` moves it forward instead of waiting. */
function virtualTime(start = 1_750_000_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => (now += ms),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

/** Every window of `windowMs` holds at most `count` of the (sorted) instants. */
function respectsLimits(instants: number[]): string[] {
  const sorted = [...instants].sort((a, b) => a - b);
  const problems: string[] = [];
  for (const { count, windowMs } of TEAMS_CONVERSATION_LIMITS) {
    for (let i = 0; i + count < sorted.length; i++) {
      if (sorted[i + count] - sorted[i] < windowMs) problems.push(`${count + 1} sends within ${sorted[i + count] - sorted[i]} ms (limit ${count} per ${windowMs} ms)`);
    }
  }
  return problems;
}

describe('Outbound pacing per conversation (7 per second, 60 per 30 seconds)', () => {
  test('when a conversation sends 200 messages one after the other, then no second holds more than 7 and no 30 s more than 60, and the first 7 wait for nothing', async () => {
    const time = virtualTime();
    const pacer = new OutboundPacer({ now: time.now, sleep: time.sleep });
    const sentAt: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 200; i++) {
      waits.push(await pacer.acquire('a:conv-1'));
      sentAt.push(time.now());
    }
    expect(respectsLimits(sentAt)).toEqual([]);
    expect(waits.slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(waits[7]).toBeGreaterThan(0);
    // Not slower than needed: 200 messages at 60 per 30 s take under 3½ windows.
    expect(sentAt[199] - sentAt[0]).toBeLessThan(3.5 * 30_000 + 1_000);
  });

  test('when many senders of one conversation ask at the same instant, then their slots keep call order and respect the limits', async () => {
    const time = virtualTime();
    // Sleeps do not move this clock: every call is made at the same instant, as concurrent turns would.
    const pacer = new OutboundPacer({ now: time.now, sleep: async () => undefined });
    const delays = await Promise.all(Array.from({ length: 100 }, () => pacer.acquire('a:busy')));
    const slots = delays.map((d) => time.now() + d);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(respectsLimits(slots)).toEqual([]);
  });

  test('when one conversation is saturated, then another one is not slowed down', async () => {
    const time = virtualTime();
    const pacer = new OutboundPacer({ now: time.now, sleep: async () => undefined });
    for (let i = 0; i < 50; i++) await pacer.acquire('a:flooded');
    expect(await pacer.acquire('a:quiet')).toBe(0);
  });

  test('when sends arrive at random moments, then every conversation stays within both limits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2_500 }), conversation: fc.constantFrom('a', 'b', 'c'), n: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 150 }),
        async (arrivals) => {
          const time = virtualTime();
          const pacer = new OutboundPacer({ now: time.now, sleep: async () => undefined });
          const sent = new Map<string, number[]>();
          for (const { gap, conversation, n } of arrivals) {
            time.advance(gap);
            const at = time.now() + (await pacer.acquire(conversation, n));
            sent.set(conversation, [...(sent.get(conversation) ?? []), ...Array(n).fill(at)]);
          }
          for (const instants of sent.values()) expect(respectsLimits(instants)).toEqual([]);
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });

  test('when old conversations are done, then the pacer forgets them', async () => {
    const time = virtualTime();
    const pacer = new OutboundPacer({ now: time.now, sleep: time.sleep });
    for (let i = 0; i < 1_500; i++) await pacer.acquire(`a:conv-${i}`);
    time.advance(60_000);
    await pacer.acquire('a:new');
    expect(pacer.trackedConversations).toBeLessThan(10);
  });
});

describe('OutboundPacingMiddleware', () => {
  test('when a turn sends ten messages, then each one goes through the pacer for its conversation, and invoke responses and traces do not count', async () => {
    const time = virtualTime();
    const asked: [string, number][] = [];
    const pacer = new OutboundPacer({ now: time.now, sleep: time.sleep });
    const acquire = pacer.acquire.bind(pacer);
    pacer.acquire = async (conversationId: string, n = 1) => {
      asked.push([conversationId, n]);
      return acquire(conversationId, n);
    };
    const sentAt: number[] = [];
    const adapter = new TestAdapter(async (context) => {
      for (let i = 0; i < 10; i++) {
        await context.sendActivity(`message ${i}`);
        sentAt.push(time.now());
      }
      await context.sendActivity({ type: ActivityTypes.Trace, name: 'debug' });
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } });
    }).use(new OutboundPacingMiddleware(pacer));
    await adapter.send('go');
    expect(asked).toEqual(Array.from({ length: 10 }, () => ['Convo1', 1]));
    expect(respectsLimits(sentAt)).toEqual([]);
    // The eighth message waited for the first second to pass.
    expect(time.sleeps.length).toBeGreaterThan(0);
    expect(sentAt[7] - sentAt[0]).toBeGreaterThanOrEqual(1_000);
  });
});
