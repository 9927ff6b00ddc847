import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { actionData, inputValues, lastCard } from '../helpers/dialogHarness';
import { FakeConnector } from '../helpers/fakeConnector';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

describe(`access intake over HTTP through the fake Bot Connector (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;

  beforeAll(async () => {
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url);
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
  });

  /** Posts an activity and returns the activities the bot sent in reply. */
  async function send(user: TeamsUser, activity: any): Promise<any[]> {
    const before = connector.sentTo(user.conversationId).length;
    const res = await postActivity(app.port, activity);
    expect(res.status).toBe(200);
    return connector.sentTo(user.conversationId).slice(before);
  }

  test('when a physician goes through triage, form and confirmation in Teams, then one request is filed and its reference is shown', async () => {
    const user = new TeamsUser(connector.url);
    let replies = await send(user, user.message("je veux accéder au registre des DMA"));
    const triage = lastCard(replies);
    replies = await send(user, user.submit({ ...actionData(triage, 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' }));
    const form = lastCard(replies);
    // Prefilled from the Teams profile (TeamsInfo.getMember through the connector), editable.
    expect(inputValues(form)).toMatchObject({ lastName: 'User', firstName: 'Test', email: 'test.user@example.org' });
    replies = await send(user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), practiceLocation: 'CHU de Québec', ramqUserCode: 'tuser001' }));
    const confirm = actionData(lastCard(replies), 'intake.confirm');
    const confirmActivity = user.submit(confirm);
    replies = await send(user, confirmActivity);
    const reference = visibleText(replies).match(/DMA-\d{4}-\d{5}/)?.[0];
    expect(reference).toBeDefined();

    // Teams redelivers the same activity: nothing more is filed or said.
    replies = await send(user, confirmActivity);
    expect(replies).toHaveLength(0);
    // The same card tapped again (a new activity): « déjà soumise », same reference.
    replies = await send(user, user.submit(confirm));
    expect(visibleText(replies)).toMatch(/déjà soumise/);
    expect(visibleText(replies)).toContain(reference);

    const count = await app.db.prisma.accessRequest.count({ where: { requesterUserId: user.userId } });
    expect(count).toBe(1);
  });

  test('when « Mes demandes » is asked, then the requester sees their requests and can cancel one still submitted', async () => {
    const user = new TeamsUser(connector.url);
    await send(user, user.message('Bonjour'));
    let replies = await send(user, user.submit({ verb: 'menu.withdraw', cardId: 'menu' }));
    const form = lastCard(replies);
    replies = await send(user, user.submit({ ...actionData(form, 'withdraw.submit'), lastName: 'Gagnon', firstName: 'Julie', employeeNumber: '998877', jobTitle: 'Travailleuse sociale', email: 'julie.gagnon@example.org' }));
    replies = await send(user, user.submit(actionData(lastCard(replies), 'intake.confirm')));
    const reference = visibleText(replies).match(/DMA-\d{4}-\d{5}/)![0];

    replies = await send(user, user.submit({ verb: 'menu.status', cardId: 'menu' }));
    expect(visibleText(replies)).toContain(reference);
    const cancel = actionData(lastCard(replies), 'request.cancel');
    replies = await send(user, user.execute('request.cancel', cancel));
    expect(visibleText(replies)).toMatch(new RegExp(`${reference}.*annulée`));
    const stored = await app.db.prisma.accessRequest.findUnique({ where: { reference } });
    expect(stored?.status).toBe('cancelled');
  });

  test('when another user tries to cancel someone else’s request, then it is refused', async () => {
    const owner = new TeamsUser(connector.url);
    await send(owner, owner.message('Bonjour'));
    let replies = await send(owner, owner.submit({ verb: 'menu.withdraw', cardId: 'menu' }));
    replies = await send(owner, owner.submit({ ...actionData(lastCard(replies), 'withdraw.submit'), lastName: 'Roy', firstName: 'Luc', employeeNumber: '112233', jobTitle: 'Inhalothérapeute', email: 'luc.roy@example.org' }));
    replies = await send(owner, owner.submit(actionData(lastCard(replies), 'intake.confirm')));
    const reference = visibleText(replies).match(/DMA-\d{4}-\d{5}/)![0];
    const stored = await app.db.prisma.accessRequest.findUnique({ where: { reference } });

    const other = new TeamsUser(connector.url);
    await send(other, other.message('Bonjour'));
    replies = await send(other, other.submit({ verb: 'request.cancel', cardId: 'x', requestId: String(stored!.id) }));
    expect(visibleText(replies)).toMatch(/Je ne trouve pas/);
    expect((await app.db.prisma.accessRequest.findUnique({ where: { reference } }))?.status).toBe('submitted');
  });
});
