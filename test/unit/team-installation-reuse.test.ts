import type { Activity, CloudAdapter } from 'botbuilder';
import { ProactiveSender } from '../../bot/services/proactive';
import { TeamChannels, TeamNotInstalledError } from '../../bot/services/teamChannels';
import { ConversationRefRepository } from '../../data/conversationRefRepository';
import { TeamInstallationRepository } from '../../data/teamInstallationRepository';
import { tick } from '../helpers/async';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const TEAM = '19:managers@thread.tacv2';

/** An activity from the team, as Teams sends it (installationUpdate when the bot is added or removed). */
function fromTeam(serviceUrl: string, action?: 'add' | 'remove'): Partial<Activity> {
  return {
    type: action ? 'installationUpdate' : 'message',
    ...(action ? { action } : {}),
    serviceUrl,
    channelId: 'msteams',
    from: { id: '29:someone' },
    recipient: { id: '28:bot' },
    conversation: { id: `${TEAM};messageid=1`, isGroup: true, conversationType: 'channel' },
    channelData: { team: { id: TEAM }, channel: { id: TEAM }, tenant: { id: 'tenant' } },
  } as Partial<Activity>;
}

/** The installation lookups the bot makes for its channel posts, on a real database; `finds` counts the reads. */
describe.each(providersUnderTest())('team installations reused for a few seconds on %s', (provider) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDatabase(provider);
  });
  afterAll(async () => db?.dispose());
  beforeEach(async () => {
    await db.prisma.teamInstallation.deleteMany();
  });

  function teams(reuseMs?: number) {
    const repo = new TeamInstallationRepository(db.prisma);
    const finds: string[] = [];
    const find = repo.find.bind(repo);
    repo.find = (teamId) => {
      finds.push(teamId);
      return find(teamId);
    };
    return { channels: new TeamChannels(repo, () => new Date(), reuseMs), finds, repo };
  }

  test('when a burst of posts looks the team up, then it is read once and each gets the stored installation', async () => {
    const { channels, finds } = teams();
    await channels.recordFromActivity(fromTeam('https://smba.example/a/', 'add'));
    const stored = await db.prisma.teamInstallation.findUnique({ where: { teamId: TEAM } });
    const found = await Promise.all([channels.installation(TEAM), channels.installation(TEAM)]);
    found.push(await channels.installation(TEAM));
    for (const f of found) expect(f).toStrictEqual(stored);
    expect(finds.length).toBeLessThanOrEqual(2);
    await channels.installation(TEAM);
    expect(finds.length).toBeLessThanOrEqual(2);
  });

  test('when the reuse time has passed, then the installation is read again and a change made elsewhere is seen', async () => {
    const { channels, finds } = teams(30);
    await channels.recordFromActivity(fromTeam('https://smba.example/a/', 'add'));
    expect((await channels.installation(TEAM)).serviceUrl).toBe('https://smba.example/a/');
    // Another instance records a new service URL.
    await teams().channels.recordFromActivity(fromTeam('https://smba.example/b/'));
    await tick(40);
    expect((await channels.installation(TEAM)).serviceUrl).toBe('https://smba.example/b/');
    expect(finds).toHaveLength(2);
  });

  test('when this instance sees an activity from the team, or a post fails, then the next post reads the installation again', async () => {
    const { channels, finds } = teams();
    await channels.recordFromActivity(fromTeam('https://smba.example/a/', 'add'));
    await channels.installation(TEAM);
    await channels.recordFromActivity(fromTeam('https://smba.example/c/'));
    expect((await channels.installation(TEAM)).serviceUrl).toBe('https://smba.example/c/');
    channels.forget(TEAM);
    await channels.installation(TEAM);
    expect(finds).toHaveLength(3);
    // Removed through this instance: not installed at once.
    await channels.recordFromActivity(fromTeam('https://smba.example/c/', 'remove'));
    await expect(channels.installation(TEAM)).rejects.toBeInstanceOf(TeamNotInstalledError);
  });

  test('when the team is not installed, then that is not remembered: an installation recorded by another instance is seen at the next try', async () => {
    const { channels } = teams();
    await expect(channels.installation(TEAM)).rejects.toBeInstanceOf(TeamNotInstalledError);
    await teams().channels.recordFromActivity(fromTeam('https://smba.example/a/', 'add'));
    expect((await channels.installation(TEAM)).serviceUrl).toBe('https://smba.example/a/');
  });

  test('when a channel post fails, then the sender makes the next post read the installation again; a post that succeeds does not', async () => {
    const { channels, finds } = teams();
    await channels.recordFromActivity(fromTeam('https://smba.example/a/', 'add'));
    let fail = false;
    const connector = {
      conversations: {
        createConversation: async () => {
          if (fail) throw Object.assign(new Error('Bad Gateway'), { statusCode: 502 });
          return { id: `${TEAM};messageid=9`, activityId: '9' };
        },
      },
    };
    // The adapter's connector factory, answering with the connector above: only the database is real here.
    const adapter = {
      botFrameworkAuthentication: { createConnectorFactory: () => ({ create: async () => connector }) },
      createClaimsIdentity: () => ({}),
    } as unknown as CloudAdapter;
    const sender = new ProactiveSender(adapter, new ConversationRefRepository(db.prisma), channels, { botAppId: '', requestTimeoutMs: 1_000 });
    const target = { type: 'channel', teamId: TEAM } as const;
    expect(await sender.send(target, { type: 'message', text: 'one' })).toEqual({ conversationId: `${TEAM};messageid=9`, activityId: '9' });
    await sender.send(target, { type: 'message', text: 'two' });
    expect(finds).toHaveLength(1);
    fail = true;
    await expect(sender.send(target, { type: 'message', text: 'three' })).rejects.toMatchObject({ statusCode: 502 });
    fail = false;
    await sender.send(target, { type: 'message', text: 'four' });
    expect(finds).toHaveLength(2);
  });
});
