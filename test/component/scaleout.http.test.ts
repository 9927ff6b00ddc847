import type { RunningApp } from '../../bot/app';
import { openDatabase, type Database } from '../../data/db';
import { tick, until } from '../helpers/async';
import { startBotProcess, startTestBot, stopBotProcess, type BotProcess } from '../helpers/bot';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '../helpers/database';
import { actionData, inputValues, lastCard } from '../helpers/dialogHarness';
import { FakeConnector } from '../helpers/fakeConnector';
import { MANAGERS_TEAM_ID, TeamsChannelMember, cardVerbs, currentManagersCard, isCardPostFor, post, type PostedCard } from '../helpers/managersTeam';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

/**
 * Scale-out on PostgreSQL: several bot instances behind one load balancer share one database; the turns of one
 * conversation go to whichever instance the balancer picks. The first suite runs the instances in this process (each
 * a full `startApp`: its own HTTP server, adapter, caches and pool), which lets it tap the same card on both at the
 * same moment. The second runs two bot processes, as deployed, each with its timers on: both outbox dispatchers and
 * both deadline sweeps poll the same database every 100 ms, and each card and each notice must go out once.
 */
const POSTGRES = process.env.TEST_POSTGRES_URL;
const describeOnPostgres = POSTGRES ? describe : describe.skip;
const INSTANCES = 2;
const REFERENCE = /DMA-\d{4}-\d{5}/;

if (!POSTGRES) {
  test.skip('scale-out on PostgreSQL: skipped because TEST_POSTGRES_URL is not set (e.g. TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test)', () => undefined);
}

/** Posts an activity to one bot (it must accept it) and returns what the bot sent into the user's conversation for it. */
async function sendTo(connector: FakeConnector, bot: Pick<RunningApp, 'port'>, user: TeamsUser, activity: unknown): Promise<any[]> {
  const before = connector.sentTo(user.conversationId).length;
  const res = await postActivity(bot.port, activity);
  expect(res.status).toBe(200);
  return connector.sentTo(user.conversationId).slice(before);
}

/**
 * Runs an access intake up to the summary card, turn n on bot n (round robin); returns the confirmation's data, to be
 * sent as the fourth turn (to bot 3).
 */
async function intakeAcross(connector: FakeConnector, bots: Pick<RunningApp, 'port'>[], user: TeamsUser, hasRamqCode: 'yes' | 'no'): Promise<Record<string, unknown>> {
  const bot = (turn: number) => bots[turn % bots.length]!;
  let replies = await sendTo(connector, bot(0), user, user.message('je veux accéder au registre des DMA'));
  replies = await sendTo(connector, bot(1), user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode }));
  const form = lastCard(replies);
  expect(inputValues(form)).toMatchObject({ lastName: 'User', firstName: 'Test', email: 'test.user@example.org' });
  const fields = hasRamqCode === 'yes' ? { ramqUserCode: 'tuser001' } : { employeeNumber: '123456', jobTitle: 'Médecin de famille' };
  replies = await sendTo(connector, bot(2), user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), practiceLocation: 'CHU de Québec', ...fields }));
  return actionData(lastCard(replies), 'intake.confirm');
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
  const send = (instance: RunningApp, user: TeamsUser, activity: any) => sendTo(connector, instance, user, activity);

  /** The instance that takes turn n: round robin. */
  const instanceFor = (turn: number) => cluster[turn % cluster.length]!;

  /** Runs an access intake up to the summary card, each turn on the next instance; returns the confirmation's data. */
  const intakeUpToConfirmation = (user: TeamsUser) => intakeAcross(connector, cluster, user, 'yes');

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

describeOnPostgres('scale-out: two bot processes on one PostgreSQL database, each running the outbox dispatcher and the deadline sweep', () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  /** The test's own connection, to read what the processes stored and to move a deadline. */
  let db: Database;
  let processes: BotProcess[] = [];
  let luc: TeamsChannelMember;
  /** Both processes poll often, so a second delivery or a second sweep would have every chance to happen. */
  const POLL_MS = 100;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl('postgresql');
    const env = {
      DATABASE_URL: database.url,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ACCESS_MANAGERS_TEAM_ID: MANAGERS_TEAM_ID,
      OUTBOX_POLL_INTERVAL_MS: String(POLL_MS),
      DEADLINE_SWEEP_INTERVAL_MS: String(POLL_MS),
    };
    // Started at once, as a deployment does: the migration's advisory lock lets one migrate while the other waits.
    // Each one is kept as soon as it listens, so that afterAll stops it even if the other failed to start.
    await Promise.all([0, 1].map(() => startBotProcess(env).then((bot) => void processes.push(bot))));
    db = await openDatabase(database.url);
    luc = new TeamsChannelMember(connector.url, 'Luc Gagnon');
    await post(processes[0]!, luc.installBot());
  }, 90_000);
  afterEach(() => connector.clearResponders());
  afterAll(async () => {
    await Promise.all(processes.map((bot) => stopBotProcess(bot)));
    await db?.close();
    await connector?.stop();
    await database?.drop();
  });

  const request = (reference: string) => db.prisma.accessRequest.findUniqueOrThrow({ where: { reference } });

  /** Runs an access intake whose turns go to each process in turn; returns the reference the requester was given. */
  async function intakeAlternating(user: TeamsUser): Promise<string> {
    const confirm = await intakeAcross(connector, processes, user, 'no');
    const replies = await sendTo(connector, processes[3 % processes.length]!, user, user.submit(confirm));
    const reference = visibleText(replies).match(REFERENCE)?.[0];
    if (!reference) throw new Error(`not filed: ${visibleText(replies)}`);
    return reference;
  }

  const managersCard = async (reference: string): Promise<PostedCard> => currentManagersCard(connector, await request(reference));

  /** A manager's tap on the request's card (Action.Execute), sent to the given process once the card offers it. */
  async function act(processIndex: number, reference: string, verb: string): Promise<void> {
    await until(async () => (await managersCard(reference).then((c) => cardVerbs(c.card))).includes(verb), `${verb} on the card`, 15_000);
    await post(processes[processIndex]!, luc.execute(await managersCard(reference), verb));
  }


  test('when an intake alternates between the processes, then one request is filed and its managers’ card is posted once, though both dispatchers poll the outbox', async () => {
    // Teams takes three polls to answer each card post: the row stays pending meanwhile, claimed by one process.
    connector.delay((c) => c.method === 'POST' && c.path === '/v3/conversations', 3 * POLL_MS);
    const user = new TeamsUser(connector.url);
    const reference = await intakeAlternating(user);
    await connector.waitFor(isCardPostFor(reference), 15_000);
    // Twenty polls of each dispatcher later, still one card.
    await tick(20 * POLL_MS);
    expect(connector.calls.filter(isCardPostFor(reference))).toHaveLength(1);
    const filed = await db.prisma.accessRequest.findMany({ where: { requesterUserId: user.userId } });
    expect(filed.map((r) => r.reference)).toEqual([reference]);
    expect(filed[0]!.managerCardActivityId).toBeTruthy();
    const rows = await db.prisma.outboxMessage.findMany({ where: { kind: 'managers.requestCard' } });
    expect(rows.filter((m) => m.status === 'sent')).toHaveLength(rows.length);
  }, 60_000);

  test('when a secret code expires, then the sweeps of both processes expire the request once: one event, one notice to the requester', async () => {
    const user = new TeamsUser(connector.url);
    const reference = await intakeAlternating(user);
    await connector.waitFor(isCardPostFor(reference), 15_000);
    await until(async () => !!(await request(reference)).managerCardActivityId, 'the card to be recorded', 15_000);
    await act(0, reference, 'request.claim');
    await until(async () => (await request(reference)).status === 'in_progress', 'the claim', 15_000);
    await act(1, reference, 'request.codeSent');
    // The requester has been told the code was sent (delivered by either process's dispatcher).
    await until(() => /Code secret transmis/.test(visibleText(connector.sentTo(user.conversationId))), 'the code-sent notice', 15_000);
    const noticesBefore = connector.sentTo(user.conversationId).length;
    // The code ran out a minute ago: both sweeps find the request due at their next poll.
    await db.sql.execute(
      `UPDATE "access_requests" SET "code_expires_at" = ?, "next_due_at" = ? WHERE "reference" = ?`,
      [new Date(Date.now() - 60_000), new Date(Date.now() - 60_000), reference],
    );
    await until(async () => (await request(reference)).status === 'expired', 'the expiry', 15_000);
    await until(() => connector.sentTo(user.conversationId).length > noticesBefore, 'the expiry notice', 15_000);
    await tick(20 * POLL_MS);
    const r = await request(reference);
    expect(await db.prisma.requestEvent.count({ where: { requestId: r.id, action: 'expired' } })).toBe(1);
    const notices = connector.sentTo(user.conversationId).slice(noticesBefore);
    expect(notices).toHaveLength(1);
    expect(visibleText(notices)).toMatch(/Le code secret est expiré/);
  }, 60_000);
});

