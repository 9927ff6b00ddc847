import { ConfigError, loadConfig } from '../../bot/config';

describe('configuration', () => {
  test('when the environment is empty, then defaults give a local SQLite bot on 3978 in French with the chat page', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3978);
    expect(c.DATABASE_URL).toBe('file:./data/helpdesk.db');
    expect(c.databaseProvider).toBe('sqlite');
    expect(c.DEFAULT_LOCALE).toBe('fr-CA');
    expect(c.localChat).toBe(true);
    expect(c.MicrosoftAppId).toBeUndefined();
  });

  test('when the privacy and abuse settings are not set, then retention runs hourly, idle conversations go after 30 days and a user may send 30 messages a minute', () => {
    const c = loadConfig({});
    expect([c.RETENTION_DAYS, c.RETENTION_SWEEP_MINUTES, c.IDLE_CONVERSATION_DAYS, c.USER_MESSAGES_PER_MINUTE]).toEqual([365, 60, 30, 30]);
    expect(loadConfig({ USER_MESSAGES_PER_MINUTE: '12' }).USER_MESSAGES_PER_MINUTE).toBe(12);
  });

  test('when DATABASE_URL is a postgres URL, then the provider is PostgreSQL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h:5432/db' }).databaseProvider).toBe('postgresql');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).databaseProvider).toBe('postgresql');
  });

  test.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must start with file:/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL /],
    [{ NODE_ENV: 'staging' }, /^Invalid configuration: NODE_ENV /],
    [{ DEFAULT_LOCALE: 'de-DE' }, /^Invalid configuration: DEFAULT_LOCALE must be a French or English locale/],
    [{ MicrosoftAppType: 'Other' }, /^Invalid configuration: MicrosoftAppType /],
    [{ USER_MESSAGES_PER_MINUTE: '0' }, /^Invalid configuration: USER_MESSAGES_PER_MINUTE /],
    [{ RETENTION_SWEEP_MINUTES: 'often' }, /^Invalid configuration: RETENTION_SWEEP_MINUTES /],
    [{ IDLE_CONVERSATION_DAYS: '-1' }, /^Invalid configuration: IDLE_CONVERSATION_DAYS /],
  ])('when %j, then start-up stops with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    try {
      loadConfig(env as NodeJS.ProcessEnv);
    } catch (err) {
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  test('when production has no app id or secret, then start-up refuses to run anonymous', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MicrosoftAppId is required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', MicrosoftAppId: '00000000-0000-0000-0000-000000000001' })).toThrow(
      /MicrosoftAppPassword is required in production/,
    );
  });

  test('when production has credentials, then it starts without the local chat page', () => {
    const c = loadConfig({ NODE_ENV: 'production', MicrosoftAppId: 'id', MicrosoftAppPassword: 'secret' });
    expect(c.localChat).toBe(false);
  });

  test('when a single-tenant app has no tenant id, then start-up stops naming MicrosoftAppTenantId', () => {
    expect(() => loadConfig({ MicrosoftAppId: 'id', MicrosoftAppPassword: 's', MicrosoftAppType: 'SingleTenant' })).toThrow(
      /MicrosoftAppTenantId/,
    );
  });

  test('when the shared mailbox list is configured, then it replaces the default list', () => {
    expect(loadConfig({ SHARED_MAILBOX_LOCAL_PARTS: 'Info, Bureau' }).SHARED_MAILBOX_LOCAL_PARTS).toEqual(['info', 'bureau']);
    expect(loadConfig({}).SHARED_MAILBOX_LOCAL_PARTS).toContain('information');
  });
});

describe('configuration of the outbox and the secret-code deadlines', () => {
  test('when nothing is set, then the outbox polls every 2 s, tries 10 times, and reminders go on days 3 and 4 between 8:30 and 16:30', () => {
    const c = loadConfig({});
    expect(c.OUTBOX_POLL_INTERVAL_MS).toBe(2000);
    expect(c.OUTBOX_MAX_ATTEMPTS).toBe(10);
    expect(c.OUTBOX_BACKOFF_BASE_MS).toBe(2000);
    expect(c.OUTBOX_BACKOFF_MAX_MS).toBe(600_000);
    expect(c.OUTBOX_SEND_TIMEOUT_MS).toBe(15_000);
    expect(c.OUTBOX_CONCURRENCY).toBe(8);
    expect(c.HEAP_SETTLE_IDLE_MS).toBe(5000);
    expect(loadConfig({ HEAP_SETTLE_IDLE_MS: '0' }).HEAP_SETTLE_IDLE_MS).toBe(0);
    expect(c.DEADLINE_SWEEP_INTERVAL_MS).toBe(60_000);
    expect(c.CODE_REMINDER_DAYS).toEqual([3, 4]);
    expect(c.REMINDER_BUSINESS_HOURS).toEqual({ from: 8 * 60 + 30, to: 16 * 60 + 30 });
  });

  test('when reminder days and hours are configured, then they are parsed, sorted and deduplicated', () => {
    const c = loadConfig({ CODE_REMINDER_DAYS: '4, 2,4', REMINDER_BUSINESS_HOURS: '09:00-17:00' });
    expect(c.CODE_REMINDER_DAYS).toEqual([2, 4]);
    expect(c.REMINDER_BUSINESS_HOURS).toEqual({ from: 540, to: 1020 });
    expect(loadConfig({ CODE_REMINDER_DAYS: '' }).CODE_REMINDER_DAYS).toEqual([]);
  });

  test.each([
    [{ CODE_REMINDER_DAYS: '5' }, /^Invalid configuration: CODE_REMINDER_DAYS days must be between 1 and 4/],
    [{ CODE_REMINDER_DAYS: 'mardi' }, /^Invalid configuration: CODE_REMINDER_DAYS must be a comma-separated list/],
    [{ REMINDER_BUSINESS_HOURS: '9h-17h' }, /^Invalid configuration: REMINDER_BUSINESS_HOURS must look like 08:30-16:30/],
    [{ REMINDER_BUSINESS_HOURS: '17:00-09:00' }, /^Invalid configuration: REMINDER_BUSINESS_HOURS must end after it starts/],
    [{ OUTBOX_POLL_INTERVAL_MS: '10' }, /^Invalid configuration: OUTBOX_POLL_INTERVAL_MS /],
    [{ OUTBOX_MAX_ATTEMPTS: '0' }, /^Invalid configuration: OUTBOX_MAX_ATTEMPTS /],
    [{ OUTBOX_CONCURRENCY: '0' }, /^Invalid configuration: OUTBOX_CONCURRENCY /],
    [{ OUTBOX_CONCURRENCY: '33' }, /^Invalid configuration: OUTBOX_CONCURRENCY /],
    [{ HEAP_SETTLE_IDLE_MS: '1000' }, /^Invalid configuration: HEAP_SETTLE_IDLE_MS must be 0 \(never\) or at least 5000/],
    [{ OUTBOX_BACKOFF_BASE_MS: '5000', OUTBOX_BACKOFF_MAX_MS: '1000' }, /^Invalid configuration: OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_BASE_MS/],
    [{ DEADLINE_SWEEP_INTERVAL_MS: 'often' }, /^Invalid configuration: DEADLINE_SWEEP_INTERVAL_MS /],
  ])('when %j, then start-up stops naming the variable', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});

describe('configuration of the agents’ relay', () => {
  test('when nothing is set, then a user waits 10 minutes for an agent before being given a number', () => {
    expect(loadConfig({}).HANDOFF_WAIT_MINUTES).toBe(10);
    expect(loadConfig({ HANDOFF_WAIT_MINUTES: '25' }).HANDOFF_WAIT_MINUTES).toBe(25);
  });

  test.each(['0', 'dix', '2.5', '100000'])('when HANDOFF_WAIT_MINUTES is %s, then start-up stops naming it', (value) => {
    expect(() => loadConfig({ HANDOFF_WAIT_MINUTES: value })).toThrow(/^Invalid configuration: HANDOFF_WAIT_MINUTES /);
  });
});

describe('team ids', () => {
  test('when a team id is copied URL-encoded from a Teams link, then it is stored as Teams sends it', () => {
    const c = loadConfig({ ACCESS_MANAGERS_TEAM_ID: '19%3aabc123%40thread.tacv2', HELPDESK_AGENTS_TEAM_ID: '19:def@thread.tacv2' });
    expect(c.ACCESS_MANAGERS_TEAM_ID).toBe('19:abc123@thread.tacv2');
    expect(c.HELPDESK_AGENTS_TEAM_ID).toBe('19:def@thread.tacv2');
  });
});
