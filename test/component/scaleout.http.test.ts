import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '../helpers/database';
import { actionData, inputValues, lastCard } from '../helpers/dialogHarness';
import { FakeConnector } from '../helpers/fakeConnector';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

/**
 * Scale-out on PostgreSQL: several bot instances behind one load balancer share one database. Each instance is a
 * full `startApp` (its own HTTP server, adapter, caches) in this process; the turns of one conversation go to
 * whichever instance the balancer picks.
 * To cover a background job (outbox dispatcher, reminder sweep…), start it on every instance of `cluster` and
 * assert on the connector's calls that each notice went out exactly once.
 */
const POSTGRES = process.env.TEST_POSTGRES_URL;
const describeOnPostgres = POSTGRES ? describe : describe.skip;
const INSTANCES = 2;
const REFERENCE = /DMA-\d{4}-\d{5}/;

if (!POSTGRES) {
  test.skip('scale-out on PostgreSQL: skipped because TEST_POSTGRES_URL is not set (e.g. TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test)', () => undefined);
}

describeOnPostgres('scale-out: two bot instances on one PostgreSQL database', () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let cluster: RunningApp[] = [];

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl('postgresql');
    // Started at once, as a deployment does: the migration's advisory lock lets one migrate while the other waits.
    cluster = await Promise.all(Array.from({ length: INSTANCES }, () => startTestBot(database.url)));
  });
  afterAll(async () => {
    await Promise.all(cluster.map((app) => app.stop()));
    await connector?.stop();
    await database?.drop();
  });

  /** Posts an activity to one instance and returns what the bot sent into the conversation for it. */
  async function send(instance: RunningApp, user: TeamsUser, activity: any): Promise<any[]> {
    const before = connector.sentTo(user.conversationId).length;
    const res = await postActivity(instance.port, activity);
    expect(res.status).toBe(200);
    return connector.sentTo(user.conversationId).slice(before);
  }

  /** The instance that takes turn n: round robin. */
  const instanceFor = (turn: number) => cluster[turn % cluster.length]!;

  /** Runs an access intake up to the summary card, each turn on the next instance; returns the confirmation's data. */
  async function intakeUpToConfirmation(user: TeamsUser): Promise<Record<string, unknown>> {
    let replies = await send(instanceFor(0), user, user.message('je veux accéder au registre des DMA'));
    replies = await send(instanceFor(1), user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' }));
    const form = lastCard(replies);
    expect(inputValues(form)).toMatchObject({ lastName: 'User', firstName: 'Test', email: 'test.user@example.org' });
    replies = await send(instanceFor(2), user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), practiceLocation: 'CHU de Québec', ramqUserCode: 'tuser001' }));
    return actionData(lastCard(replies), 'intake.confirm');
  }

  test('when the turns of one conversation alternate between the instances, then the intake completes: one request filed, its reference shown', async () => {
    const user = new TeamsUser(connector.url);
    const confirm = user.submit(await intakeUpToConfirmation(user));
    const replies = await send(instanceFor(3), user, confirm);
    const reference = visibleText(replies).match(REFERENCE)?.[0];
    expect(reference).toBeDefined();

    // Teams redelivers the confirmation to the other instance: it is recognised as handled, nothing more is said.
    expect(await send(instanceFor(4), user, confirm)).toHaveLength(0);

    const filed = await cluster[0]!.db.prisma.accessRequest.findMany({ where: { requesterUserId: user.userId } });
    expect(filed.map((r) => r.reference)).toEqual([reference]);
    expect(await cluster[1]!.db.prisma.requestEvent.count({ where: { requestId: filed[0]!.id } })).toBe(1);
  });

  test('when the same confirmation is tapped twice and each tap reaches a different instance at once, then one request is filed and both answers give its reference', async () => {
    const user = new TeamsUser(connector.url);
    const data = await intakeUpToConfirmation(user);
    const before = connector.sentTo(user.conversationId).length;
    const results = await Promise.all(cluster.map((instance) => postActivity(instance.port, user.submit(data))));
    expect(results.map((r) => r.status)).toEqual(cluster.map(() => 200));
    const replies = connector.sentTo(user.conversationId).slice(before);

    const filed = await cluster[0]!.db.prisma.accessRequest.findMany({ where: { requesterUserId: user.userId } });
    expect(filed).toHaveLength(1);
    expect(replies).toHaveLength(cluster.length);
    for (const reply of replies) expect(visibleText([reply])).toContain(filed[0]!.reference);
  });

  test('when « Mes demandes » is asked on the other instance, then the request filed through the first one is listed', async () => {
    const user = new TeamsUser(connector.url);
    const confirm = await intakeUpToConfirmation(user);
    const reference = visibleText(await send(instanceFor(3), user, user.submit(confirm))).match(REFERENCE)![0];
    const replies = await send(instanceFor(4), user, user.submit({ verb: 'menu.status', cardId: 'menu' }));
    expect(visibleText(replies)).toContain(reference);
  });
});
