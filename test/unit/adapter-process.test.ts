import fc from 'fast-check';
import { ActivityTypes, ConfigurationBotFrameworkAuthentication, type Response as BotResponse, type TurnContext } from 'botbuilder';
import { HelpdeskAdapter } from '../../bot/adapter';

/** What botbuilder's CloudAdapter.process writes to the response, and what `processBody` answers. */
interface Outcome {
  status: number;
  body: unknown;
  /** The activity as the turn saw it (dates as their time value, NaN for an invalid one). */
  seen?: unknown;
  warned: number;
  errored: number;
}

function describeActivity(activity: object): unknown {
  return JSON.parse(JSON.stringify(activity, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Date ? { date: Number.isNaN(raw.getTime()) ? 'NaN' : raw.getTime() } : value;
  }));
}

type Behaviour = 'nothing' | 'invoke-200' | 'invoke-body' | 'invoke-falsy-body' | 'throw';

function logicFor(behaviour: Behaviour, seen: { activity?: unknown }) {
  return async (context: TurnContext) => {
    seen.activity = describeActivity(context.activity);
    if (behaviour === 'throw') throw new Error('the turn failed');
    if (behaviour === 'invoke-200') await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } });
    if (behaviour === 'invoke-body') await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 202, body: { ok: true } } });
    if (behaviour === 'invoke-falsy-body') await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: 0 } });
  };
}

async function counting<T>(run: () => Promise<T>): Promise<{ value?: T; thrown?: boolean; warned: number; errored: number }> {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return { value: await run(), warned: warn.mock.calls.length, errored: error.mock.calls.length };
  } catch {
    return { thrown: true, warned: warn.mock.calls.length, errored: error.mock.calls.length };
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
}

async function viaProcess(adapter: HelpdeskAdapter, body: unknown, authorization: string, behaviour: Behaviour): Promise<Outcome | 'thrown'> {
  const written = { status: 0, body: undefined as unknown };
  const res = {
    status(code: number) {
      written.status = code;
      return res;
    },
    header: () => res,
    send(b: unknown) {
      written.body = b;
      return res;
    },
    end: () => res,
  };
  const seen: { activity?: unknown } = {};
  const req = { method: 'POST', body, headers: { authorization } };
  const r = await counting(() => adapter.process(req as never, res as unknown as BotResponse, logicFor(behaviour, seen)));
  if (r.thrown) return 'thrown';
  return { status: written.status, body: written.body, seen: seen.activity, warned: r.warned, errored: r.errored };
}

async function viaProcessBody(adapter: HelpdeskAdapter, body: unknown, authorization: string, behaviour: Behaviour): Promise<Outcome | 'thrown'> {
  const seen: { activity?: unknown } = {};
  const r = await counting(() => adapter.processBody(body, authorization, logicFor(behaviour, seen)));
  if (r.thrown) return 'thrown';
  // botbuilder writes the body only when it is truthy.
  return { status: r.value!.status, body: r.value!.body ? r.value!.body : undefined, seen: seen.activity, warned: r.warned, errored: r.errored };
}

const timestamp = fc.oneof(
  fc.constant(undefined),
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('not a date', '', '2026-11-23T12:00:00.000-05:00'),
  fc.integer(),
);

const activityBody = fc.record(
  {
    type: fc.oneof(fc.constantFrom('message', 'invoke', 'conversationUpdate', 'event', ''), fc.integer(), fc.constant(undefined)),
    id: fc.string(),
    channelId: fc.constantFrom('msteams', 'webchat'),
    serviceUrl: fc.constant('https://smba.example/amer/'),
    from: fc.record({ id: fc.string({ minLength: 1 }), name: fc.string() }),
    recipient: fc.constant({ id: '28:bot' }),
    conversation: fc.record({ id: fc.string({ minLength: 1 }) }),
    text: fc.string(),
    value: fc.jsonValue(),
    timestamp,
    expiration: timestamp,
    localTimestamp: timestamp,
  },
  { requiredKeys: ['type', 'channelId', 'serviceUrl', 'from', 'conversation'] },
);

const behaviour = fc.constantFrom<Behaviour>('nothing', 'invoke-200', 'invoke-body', 'invoke-falsy-body', 'throw');

describe('HelpdeskAdapter.processBody answers as CloudAdapter.process', () => {
  const anonymous = new HelpdeskAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const withAppId = new HelpdeskAdapter(
    new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'secret', MicrosoftAppType: 'MultiTenant' }),
  );

  test('when activities of every shape are processed anonymously, then status, body, the activity the turn sees and what is logged are the same', async () => {
    await fc.assert(
      fc.asyncProperty(activityBody, behaviour, async (body, b) => {
        const expected = await viaProcess(anonymous, structuredClone(body), '', b);
        const actual = await viaProcessBody(anonymous, structuredClone(body), '', b);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300, seed: 23 },
    );
  });

  test('when the bot has an app id and the request no valid token, then both answer 401 with the same message', async () => {
    for (const authorization of ['', 'Bearer nope']) {
      const body = { type: 'message', channelId: 'msteams', serviceUrl: 'https://smba.example/amer/', from: { id: '29:u' }, conversation: { id: 'a:c' } };
      const expected = await viaProcess(withAppId, structuredClone(body), authorization, 'nothing');
      const actual = await viaProcessBody(withAppId, structuredClone(body), authorization, 'nothing');
      expect(expected).toMatchObject({ status: 401 });
      expect(actual).toEqual(expected);
    }
  });

  test('when the body is not an object, then both refuse it with 400 and the same message', async () => {
    for (const body of [null, [], 'text', 3, new Date(), new Map()]) {
      const expected = await viaProcess(anonymous, body, '', 'nothing');
      const actual = await viaProcessBody(anonymous, body, '', 'nothing');
      expect(expected).toMatchObject({ status: 400 });
      expect(actual).toEqual(expected);
    }
  });

  test('when a reporter is set, then what botbuilder prints goes to it, once per problem, and the console stays silent', async () => {
    const reported: [string, unknown][] = [];
    const reporting = new HelpdeskAdapter(
      new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'secret', MicrosoftAppType: 'MultiTenant' }),
    );
    reporting.report = (problem, err) => reported.push([problem, err]);
    const body = { type: 'message', channelId: 'msteams', serviceUrl: 'https://smba.example/amer/', from: { id: '29:u' }, conversation: { id: 'a:c' } };
    const refused = await counting(() => reporting.processBody(structuredClone(body), 'Bearer nope', async () => undefined));
    const untyped = await counting(() => reporting.processBody({ ...structuredClone(body), type: '' }, '', async () => undefined));
    expect(refused).toMatchObject({ value: { status: 401 }, warned: 0, errored: 0 });
    expect(untyped).toMatchObject({ value: { status: 400 }, warned: 0, errored: 0 });
    expect(reported.map(([problem]) => problem)).toEqual(['failed', 'missing-type']);
    // botbuilder's own botframework-connector, as bot/adapter.ts resolves it.
    const connector = require(require.resolve('botframework-connector', { paths: [require.resolve('botbuilder')] })) as typeof import('botframework-connector');
    expect(reported[0]![1]).toBeInstanceOf(connector.AuthenticationError);
  });
});
