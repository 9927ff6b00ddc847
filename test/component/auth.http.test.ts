import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningApp } from '../../bot/app';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, mainProvider, type TestDatabaseUrl } from '../helpers/database';
import { hmacToken, newSigningKey, OpenIdMetadataServer, signToken, unsignedToken } from '../helpers/openIdKeys';
import { postActivity, TeamsUser } from '../helpers/teams';

const APP_ID = '5f1d3a2e-7c44-4e0b-9a55-0d1e2f3a4b5c';
const ISSUER = 'https://api.botframework.com';
const EMULATOR_ISSUER = 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/';
// The connector URL the activities claim to come from; nothing is ever sent there in these tests.
const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';

describe(`Channel authentication with an app id configured (${mainProvider()})`, () => {
  const teamsKey = newSigningKey('teams-key-1');
  const webChatOnlyKey = newSigningKey('webchat-key');
  const rogueKey = newSigningKey('rogue-key');
  let metadata: OpenIdMetadataServer;
  let database: TestDatabaseUrl;
  let app: RunningApp;
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    // botbuilder prints refused tokens with console.error; keep the test output readable.
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    metadata = await new OpenIdMetadataServer([
      { key: teamsKey, endorsements: ['msteams'] },
      { key: webChatOnlyKey, endorsements: ['webchat'] },
    ]).start();
    database = await createTestDatabaseUrl();
    app = await startTestBot(
      database.url,
      { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-a-real-secret' },
      {
        adapterOverrides: {
          ToBotFromChannelOpenIdMetadataUrl: metadata.channelMetadataUrl,
          ToBotFromEmulatorOpenIdMetadataUrl: metadata.emulatorMetadataUrl,
        },
      },
    );
  });
  afterAll(async () => {
    await app?.stop();
    await metadata.stop();
    await database.drop();
    consoleError.mockRestore();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: APP_ID, serviceurl: SERVICE_URL, nbf: now() - 60, iat: now() - 60, exp: now() + 3600, ...extra });

  /** A Teams activity that makes the bot send nothing (a user joined): acceptance shows in the status alone. */
  function memberJoined() {
    const user = new TeamsUser(SERVICE_URL);
    return { ...user.message(''), type: 'conversationUpdate', text: undefined, membersAdded: [{ id: user.userId }] };
  }

  async function post(authorization: string | undefined) {
    return postActivity(app.port, memberJoined(), authorization === undefined ? {} : { authorization });
  }

  function expectRefused(res: { status: number; body: any; text: string }) {
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Unauthorized' });
    expect(res.text).not.toMatch(/[A-Z]\w*Error|stack|\bat |token|key|claim|signature/i);
  }

  test('when a token is correctly signed with a key the metadata serves, then the activity is accepted', async () => {
    const res = await post(`Bearer ${signToken(claims(), teamsKey, { kid: teamsKey.kid })}`);
    expect(res.status).toBe(200);
    // The keys came from our local metadata server, not from Microsoft.
    expect(metadata.requests).toEqual(expect.arrayContaining(['/v1/.well-known/openidconfiguration', '/v1/keys']));
  });

  test('when the Authorization header is missing, then 401 with a generic body', async () => {
    expectRefused(await post(undefined));
  });

  test('when the header is not a bearer token or the token is not a JWT, then 401', async () => {
    expectRefused(await post(`Basic ${Buffer.from('bot:secret').toString('base64')}`));
    expectRefused(await post('Bearer not.a.jwt'));
    expectRefused(await post('Bearer'));
  });

  test('when a token is self-signed with a key the metadata does not serve, then 401', async () => {
    expectRefused(await post(`Bearer ${signToken(claims(), rogueKey, { kid: rogueKey.kid })}`));
  });

  test('when a token names a served key but is signed with another key (a forgery), then 401 (not 500)', async () => {
    expectRefused(await post(`Bearer ${signToken(claims(), rogueKey, { kid: teamsKey.kid })}`));
  });

  test('when a token is unsigned (alg none) or HMAC-signed with the public key, then 401', async () => {
    expectRefused(await post(`Bearer ${unsignedToken(claims(), { kid: teamsKey.kid })}`));
    const publicPem = teamsKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expectRefused(await post(`Bearer ${hmacToken(claims(), publicPem, { kid: teamsKey.kid })}`));
  });

  test('when a token has expired (beyond the 5-minute tolerance) or is not valid yet, then 401', async () => {
    expectRefused(await post(`Bearer ${signToken(claims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 600 }), teamsKey, { kid: teamsKey.kid })}`));
    expectRefused(await post(`Bearer ${signToken(claims({ nbf: now() + 3600, exp: now() + 7200 }), teamsKey, { kid: teamsKey.kid })}`));
  });

  test('when the token’s serviceUrl claim does not match the activity’s serviceUrl, then 401', async () => {
    expectRefused(await post(`Bearer ${signToken(claims({ serviceurl: 'https://attacker.example/' }), teamsKey, { kid: teamsKey.kid })}`));
    expectRefused(await post(`Bearer ${signToken(claims({ serviceurl: undefined }), teamsKey, { kid: teamsKey.kid })}`));
  });

  test('when the token is for another bot (audience) or from another issuer, then 401', async () => {
    expectRefused(await post(`Bearer ${signToken(claims({ aud: 'another-bot-app-id' }), teamsKey, { kid: teamsKey.kid })}`));
    expectRefused(await post(`Bearer ${signToken(claims({ iss: 'https://attacker.example' }), teamsKey, { kid: teamsKey.kid })}`));
  });

  test('when the signing key is not endorsed for the Teams channel, then 401', async () => {
    expectRefused(await post(`Bearer ${signToken(claims(), webChatOnlyKey, { kid: webChatOnlyKey.kid })}`));
  });

  test('when a self-signed token claims to come from the Bot Framework Emulator, then 401', async () => {
    const token = signToken({ ...claims({ iss: EMULATOR_ISSUER, ver: '1.0', appid: APP_ID }), serviceurl: undefined }, rogueKey, { kid: rogueKey.kid });
    expectRefused(await post(`Bearer ${token}`));
  });

  test('when a refused request is followed by a correct one, then the server is still healthy', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('Production start-up', () => {
  test('when NODE_ENV=production and no app id is set, then the process exits non-zero with one readable line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-prod-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', DATABASE_URL: `file:${path.join(dir, 'never.db')}`, PORT: '0' };
    const result = spawnSync('npx', ['tsx', 'bot/index.ts'], { cwd: path.resolve(__dirname, '..', '..'), env, encoding: 'utf8', timeout: 60_000 });
    // npm may print its own configuration warnings: they are not ours.
    const lines = result.stderr.split('\n').filter((l) => l.trim() && !/^npm (warn|notice)/i.test(l));
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(lines).toEqual(['Invalid configuration: MicrosoftAppId is required in production (the bot never runs anonymous in production)']);
    expect(result.stdout.trim()).toBe('');
    // It stopped before touching anything: no database was created.
    expect(fs.existsSync(path.join(dir, 'never.db'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);
});
