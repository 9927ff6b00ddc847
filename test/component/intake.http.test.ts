import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { actionData, inputValues, lastCard } from '../helpers/dialogHarness';
import { FakeConnector, type ConnectorCall } from '../helpers/fakeConnector';
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

  /** Whether a connector call is a Teams profile lookup (getMember) of this user. */
  const isMemberLookupOf = (user: TeamsUser) => (c: ConnectorCall) => c.method === 'GET' && c.path.includes(`/members/${encodeURIComponent(user.userId)}`);
  /** Teams profile lookups the bot made for a user so far. */
  const memberLookups = (user: TeamsUser) => connector.calls.filter(isMemberLookupOf(user)).length;

  test('when an intake starts, then the Teams profile is looked up with the triage card, and the triage answer waits for no lookup', async () => {
    const user = new TeamsUser(connector.url);
    let replies = await send(user, user.message('je veux accéder au registre des DMA'));
    expect(memberLookups(user)).toBe(1);
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' }));
    expect(memberLookups(user)).toBe(1);
    expect(inputValues(lastCard(replies))).toMatchObject({ lastName: 'User', firstName: 'Test', email: 'test.user@example.org' });
    // Used at triage, then dropped from the conversation state.
    const state = await app.db.prisma.botStateItem.findMany({ where: { key: { contains: user.conversationId } } });
    expect(state.map((row) => row.data).join('')).not.toContain('teamsProfile');
  });

  test('when the lookup at the start finds nothing (Teams refused), then triage looks up again and the form is still prefilled', async () => {
    const user = new TeamsUser(connector.url);
    connector.failNext(isMemberLookupOf(user), 403);
    let replies = await send(user, user.message('je veux accéder au registre des DMA'));
    expect(memberLookups(user)).toBe(1);
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' }));
    expect(memberLookups(user)).toBe(2);
    expect(inputValues(lastCard(replies))).toMatchObject({ lastName: 'User', firstName: 'Test', email: 'test.user@example.org' });
  });

  test('when a manager asks for a professional, then the form starts empty and the manager\'s own address is still refused', async () => {
    const user = new TeamsUser(connector.url);
    let replies = await send(user, user.message('je veux accéder au registre des DMA'));
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'manager', hasRamqCode: 'yes' }));
    expect(memberLookups(user)).toBe(1);
    const form = lastCard(replies);
    expect(inputValues(form)).not.toMatchObject({ email: 'test.user@example.org' });
    replies = await send(user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHU de Québec', ramqUserCode: 'aroy0001', email: 'test.user@example.org' }));
    // The form comes back with the reason, and the summary is not shown.
    expect(visibleText(replies)).toContain('votre propre adresse');
    expect(JSON.stringify(lastCard(replies))).toContain('"intake.submit"');
    expect(JSON.stringify(lastCard(replies))).not.toContain('"intake.confirm"');
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
