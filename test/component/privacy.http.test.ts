import type { RunningApp } from '../../bot/app';
import { createLogger } from '../../bot/logger';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { actionData, inputValues, lastCard } from '../helpers/dialogHarness';
import { FakeConnector } from '../helpers/fakeConnector';
import { captureConsole, dumpDatabase, logSink, personalDataIn } from '../helpers/privacy';
import { postActivity, TeamsUser, visibleText } from '../helpers/teams';

/** The people whose requests are filed: every value is personal data that must stay out of logs. */
const PHYSICIAN = { lastName: 'Tremblay-Ouellet', firstName: 'Marguerite', practiceLocation: 'CLSC de Limoilou', email: 'marguerite.tremblay@example.org', ramqUserCode: 'mtremb42' };
const PROFESSIONAL = { lastName: 'Gagnon-Lévesque', firstName: 'Rosalie', employeeNumber: '55123409', jobTitle: 'Infirmière clinicienne', practiceLocation: 'Hôpital Saint-François d’Assise', email: 'rosalie.gagnon@example.org' };
const WITHDRAWN = { lastName: 'Bouchard', firstName: 'Étienne', employeeNumber: '99887766', jobTitle: 'Inhalothérapeute', email: 'etienne.bouchard@example.org' };
const FAILING = { lastName: 'Pelletier', firstName: 'Josiane', employeeNumber: '31415926', jobTitle: 'Travailleuse sociale', email: 'josiane.pelletier@example.org' };
/** The requester: their Teams display name and the email their Teams profile gives (see FakeConnector). */
const REQUESTER = { name: 'Dre Hélène Côté-Bélanger', profileEmail: 'test.user@example.org' };
/** What users paste by mistake: a RAMQ-style secret code and passwords. */
const SECRETS = { code: 'ihv2T7sD', password: 'Soleil2024!', spokenCode: 'Xk4pQ9zT' };

/** Every value checked in logs and console output (besides any email address and any secret-shaped token). */
const PERSONAL_VALUES = [
  ...[PHYSICIAN, PROFESSIONAL, WITHDRAWN, FAILING].flatMap((p) => Object.values(p)),
  REQUESTER.name,
  'Côté-Bélanger',
  REQUESTER.profileEmail,
  ...Object.values(SECRETS),
];

describe(`No personal data in logs, no secret stored, an access trail (${mainProvider()})`, () => {
  let connector: FakeConnector;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  const logs = logSink();
  let consoleOut: ReturnType<typeof captureConsole>;
  const started = new Date();

  beforeAll(async () => {
    consoleOut = captureConsole();
    connector = await new FakeConnector().start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, { LOG_LEVEL: 'trace' }, { logger: createLogger('trace', logs.stream) });
  });
  afterAll(async () => {
    await app?.stop();
    await connector.stop();
    await database.drop();
    consoleOut.restore();
  });

  async function send(user: TeamsUser, activity: any): Promise<any[]> {
    const before = connector.sentTo(user.conversationId).length;
    const res = await postActivity(app.port, activity);
    expect(res.status).toBe(200);
    return connector.sentTo(user.conversationId).slice(before);
  }

  /** Goes through the access intake and returns the reference shown at the end. */
  async function fileAccess(user: TeamsUser, role: 'physician' | 'manager', values: Record<string, string>, beforeForm?: () => Promise<void>): Promise<string> {
    let replies = await send(user, user.submit({ verb: 'menu.access', cardId: 'menu' }));
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: role, hasRamqCode: values.ramqUserCode ? 'yes' : 'no' }));
    const form = lastCard(replies);
    await beforeForm?.();
    replies = await send(user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), ...values, ...(role === 'manager' ? { supervisorAuthorized: 'true' } : {}) }));
    replies = await send(user, user.submit(actionData(lastCard(replies), 'intake.confirm')));
    return visibleText(replies).match(/DMA-\d{4}-\d{5}/)![0];
  }

  async function fileWithdrawal(user: TeamsUser, values: Record<string, string>): Promise<string> {
    let replies = await send(user, user.submit({ verb: 'menu.withdraw', cardId: 'menu' }));
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'withdraw.submit'), ...values }));
    replies = await send(user, user.submit(actionData(lastCard(replies), 'intake.confirm')));
    return visibleText(replies).match(/DMA-\d{4}-\d{5}/)![0];
  }

  const physician = new TeamsUser('', undefined, undefined, 'fr-CA', REQUESTER.name);
  const manager = new TeamsUser('', undefined, undefined, 'fr-CA', REQUESTER.name);
  const references: Record<string, string> = {};

  test('when three full intakes are filed, listed and one is cancelled at LOG_LEVEL=trace, then no personal value appears in any log line', async () => {
    for (const u of [physician, manager]) (u as { serviceUrl: string }).serviceUrl = connector.url;
    await send(physician, physician.message('Bonjour'));
    references.physician = await fileAccess(physician, 'physician', PHYSICIAN);
    await send(manager, manager.message('Bonjour'));
    references.professional = await fileAccess(manager, 'manager', PROFESSIONAL);
    references.withdrawn = await fileWithdrawal(manager, WITHDRAWN);

    let replies = await send(manager, manager.submit({ verb: 'menu.status', cardId: 'menu' }));
    // The list shows the subjects' names: a read of personal fields.
    expect(visibleText(replies)).toContain('Rosalie');
    const card = lastCard(replies);
    const cancel = actionData(card, 'request.cancel');
    replies = await send(manager, manager.execute('request.cancel', cancel));
    expect(visibleText(replies)).toMatch(/annulée/);

    const text = logs.text();
    expect(logs.lines.length).toBeGreaterThan(20);
    // Trace and debug lines were written (the turn log), so the check covers them.
    expect(logs.lines.some((l) => JSON.parse(l).msg === 'turn')).toBe(true);
    expect(personalDataIn(text, PERSONAL_VALUES)).toEqual([]);
  });

  test('when a user pastes a secret code or a password, then they are warned, it is not echoed, and it is stored nowhere', async () => {
    const user = new TeamsUser(connector.url, undefined, undefined, 'fr-CA', REQUESTER.name);
    await send(user, user.message('Bonjour'));
    // Outside any intake, and in the middle of one.
    const outside = [SECRETS.code, `mon mot de passe est ${SECRETS.password}`];
    for (const message of outside) {
      const replies = await send(user, user.message(message));
      expect(visibleText(replies)).toMatch(/ne partagez jamais votre mot de passe/);
    }
    let replies = await send(user, user.submit({ verb: 'menu.access', cardId: 'menu' }));
    replies = await send(user, user.message(`voici mon code secret : ${SECRETS.spokenCode}`));
    expect(visibleText(replies)).toMatch(/ne partagez jamais/);

    const sent = JSON.stringify(connector.calls.map((c) => c.body));
    for (const secret of Object.values(SECRETS)) expect(sent).not.toContain(secret);
    const stored = await dumpDatabase(app.db);
    for (const [table, rows] of Object.entries(stored)) {
      for (const secret of Object.values(SECRETS)) expect({ table, found: rows.includes(secret) }).toEqual({ table, found: false });
    }
    expect(personalDataIn(logs.text(), Object.values(SECRETS))).toEqual([]);
  });

  test('when the Teams profile lookup and a reply fail, then errors are logged with their detail, redacted', async () => {
    const user = new TeamsUser(connector.url, undefined, undefined, 'fr-CA', REQUESTER.name);
    await send(user, user.message('Bonjour'));
    // Teams answers errors that quote what it was sent (names, emails).
    connector.respond((call) =>
      call.method === 'GET' && call.path.includes('/members/')
        ? { status: 400, body: { error: { code: 'BadArgument', message: `member ${REQUESTER.name} <${REQUESTER.profileEmail}> unavailable` } } }
        : undefined,
    );
    connector.respond((call) =>
      call.method === 'POST' && JSON.stringify(call.body ?? {}).includes(FAILING.firstName)
        ? { status: 400, body: { error: { code: 'BadArgument', message: `could not deliver card for ${FAILING.firstName} ${FAILING.lastName} (${FAILING.email}, ${FAILING.employeeNumber})` } } }
        : undefined,
    );
    const before = logs.lines.length;
    let replies = await send(user, user.submit({ verb: 'menu.access', cardId: 'menu' }));
    replies = await send(user, user.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'no' }));
    const form = lastCard(replies);
    await send(user, user.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), ...FAILING, practiceLocation: 'CLSC Orléans' }));
    connector.clearResponders();

    const fresh = logs.lines.slice(before).map((l) => JSON.parse(l));
    const profileFailure = fresh.find((l) => l.msg.startsWith('Teams profile lookup failed'));
    const turnFailure = fresh.find((l) => l.msg === 'turn failed');
    // The detail is kept: error type, message, stack frames.
    for (const entry of [profileFailure, turnFailure]) {
      expect(entry).toBeDefined();
      expect(entry.err.type).toEqual(expect.any(String));
      expect(entry.err.message.length).toBeGreaterThan(0);
      expect(entry.err.stack).toMatch(/\n\s+at /);
    }
    expect(personalDataIn(fresh.map((l) => JSON.stringify(l)).join('\n'), PERSONAL_VALUES)).toEqual([]);
  });

  test('when requests are filed, listed and cancelled, then the access log has one row per read and per change, with the actor’s Teams and Entra ids', async () => {
    const ids = Object.fromEntries(
      await Promise.all(Object.entries(references).map(async ([k, ref]) => [k, (await app.db.prisma.accessRequest.findUnique({ where: { reference: ref } }))!.id] as const)),
    );
    const rows = await app.db.prisma.accessLogEntry.findMany({ orderBy: { id: 'asc' } });
    const summary = rows.map((r) => ({ actorId: r.actorId, actorAadObjectId: r.actorAadObjectId, requestId: r.requestId, action: r.action }));
    expect(summary).toEqual(
      expect.arrayContaining([
        { actorId: physician.userId, actorAadObjectId: `aad-${physician.userId}`, requestId: ids.physician, action: 'request.filed' },
        { actorId: manager.userId, actorAadObjectId: `aad-${manager.userId}`, requestId: ids.professional, action: 'request.filed' },
        { actorId: manager.userId, actorAadObjectId: `aad-${manager.userId}`, requestId: ids.withdrawn, action: 'request.filed' },
        { actorId: manager.userId, actorAadObjectId: `aad-${manager.userId}`, requestId: ids.professional, action: 'requests.listed' },
        { actorId: manager.userId, actorAadObjectId: `aad-${manager.userId}`, requestId: ids.withdrawn, action: 'requests.listed' },
      ]),
    );
    const cancelled = await app.db.prisma.accessRequest.findFirst({ where: { status: 'cancelled', requesterUserId: manager.userId } });
    expect(summary).toContainEqual({ actorId: manager.userId, actorAadObjectId: `aad-${manager.userId}`, requestId: cancelled!.id, action: 'request.cancelled' });
    // The physician never listed their requests: no read is recorded for them.
    expect(summary.filter((r) => r.actorId === physician.userId).map((r) => r.action)).toEqual(['request.filed']);
    for (const row of rows) {
      expect(row.at.getTime()).toBeGreaterThanOrEqual(started.getTime() - 1000);
      expect(row.at.getTime()).toBeLessThanOrEqual(Date.now());
    }
    // The trail holds ids and actions only.
    expect(personalDataIn(JSON.stringify(rows), PERSONAL_VALUES)).toEqual([]);
  });

  test('when the access log cannot be written, then « Mes demandes » shows nothing rather than an unlogged read', async () => {
    await app.db.prisma.$executeRawUnsafe('ALTER TABLE access_log RENAME TO access_log_offline');
    try {
      const replies = await send(manager, manager.submit({ verb: 'menu.status', cardId: 'menu' }));
      expect(visibleText(replies)).not.toContain('Rosalie');
    } finally {
      await app.db.prisma.$executeRawUnsafe('ALTER TABLE access_log_offline RENAME TO access_log');
    }
    const replies = await send(manager, manager.submit({ verb: 'menu.status', cardId: 'menu' }));
    expect(visibleText(replies)).toContain('Rosalie');
  });

  test('when the whole session is over, then nothing third-party printed to the console carries personal data', () => {
    expect(personalDataIn(consoleOut.lines.join('\n'), PERSONAL_VALUES)).toEqual([]);
  });
});

describe(`Local chat through offline-directline (${mainProvider()})`, () => {
  let database: TestDatabaseUrl;
  let app: RunningApp;
  const logs = logSink();
  let consoleOut: ReturnType<typeof captureConsole>;

  beforeAll(async () => {
    consoleOut = captureConsole();
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, { LOG_LEVEL: 'trace', LOCAL_CHAT: 'true', DIRECTLINE_PORT: '0' }, { logger: createLogger('trace', logs.stream) });
  });
  afterAll(async () => {
    await app?.stop();
    await database.drop();
    consoleOut.restore();
  });

  test('when a full intake goes through the local Direct Line, then neither its console output nor our logs carry personal data', async () => {
    const base = `http://127.0.0.1:${app.directLinePort}/directline`;
    const created = await (await fetch(`${base}/conversations`, { method: 'POST' })).json();
    const conversationId = created.conversationId as string;
    let watermark = 0;
    const from = { id: 'local-user-privacy', name: REQUESTER.name };
    const send = async (activity: Record<string, unknown>) => {
      const res = await fetch(`${base}/conversations/${conversationId}/activities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', from, locale: 'fr-CA', ...activity }),
      });
      expect(res.status).toBe(200);
      const page = await (await fetch(`${base}/conversations/${conversationId}/activities?watermark=${watermark}`)).json();
      watermark = page.watermark;
      return (page.activities as any[]).filter((a) => a.from?.id === 'id');
    };
    await send({ text: `Bonjour, je suis ${REQUESTER.name}` });
    let replies = await send({ value: { verb: 'menu.access', cardId: 'menu' } });
    replies = await send({ value: { ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' } });
    const form = lastCard(replies);
    replies = await send({ value: { ...inputValues(form), ...actionData(form, 'intake.submit'), ...PHYSICIAN } });
    replies = await send({ value: actionData(lastCard(replies), 'intake.confirm') });
    expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);

    // offline-directline printed something (the conversation id), and nothing personal.
    expect(consoleOut.lines.join('\n')).toContain(conversationId);
    expect(personalDataIn(consoleOut.lines.join('\n'), PERSONAL_VALUES)).toEqual([]);
    expect(personalDataIn(logs.text(), PERSONAL_VALUES)).toEqual([]);
  });
});
