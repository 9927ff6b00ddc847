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
