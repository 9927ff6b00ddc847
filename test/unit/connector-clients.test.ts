import { ConfigurationServiceClientCredentialFactory, type Activity } from 'botbuilder';
import { ReusedConnectorClientsAuthentication } from '../../bot/services/reusedConnectorClients';

const activity = (serviceUrl: string) =>
  ({ type: 'message', id: 'a1', channelId: 'msteams', serviceUrl, from: { id: '29:u' }, recipient: { id: '28:bot' }, conversation: { id: 'a:c' } }) as Activity;

describe('connector clients reused across turns', () => {
  test('when two activities come from the same service URL, then they get the same connector client and user-token client', async () => {
    const auth = new ReusedConnectorClientsAuthentication({}, new ConfigurationServiceClientCredentialFactory({}));
    const first = await auth.authenticateRequest(activity('https://smba.example/amer/'), '');
    const second = await auth.authenticateRequest(activity('https://smba.example/amer/'), '');
    const a = await first.connectorFactory!.create('https://smba.example/amer/', first.audience);
    const b = await second.connectorFactory!.create('https://smba.example/amer/', second.audience);
    expect(b).toBe(a);
    expect(await auth.createUserTokenClient(second.claimsIdentity)).toBe(await auth.createUserTokenClient(first.claimsIdentity));
  });

  test('when another service URL is used, then it gets its own connector client pointed at it', async () => {
    const auth = new ReusedConnectorClientsAuthentication({}, new ConfigurationServiceClientCredentialFactory({}));
    const result = await auth.authenticateRequest(activity('https://smba.example/amer/'), '');
    const amer = await result.connectorFactory!.create('https://smba.example/amer/', result.audience);
    const emea = await result.connectorFactory!.create('https://smba.example/emea/', result.audience);
    expect(emea).not.toBe(amer);
    expect((emea as unknown as { baseUri?: string }).baseUri ?? (emea as unknown as { _endpoint?: string })._endpoint).toContain('emea');
  });

  test('when the bot has an app id and a request carries no token, then it is still refused', async () => {
    const credentials = { MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'secret', MicrosoftAppType: 'MultiTenant' };
    const auth = new ReusedConnectorClientsAuthentication(credentials, new ConfigurationServiceClientCredentialFactory(credentials));
    await expect(auth.authenticateRequest(activity('https://smba.example/amer/'), '')).rejects.toThrow();
  });
});
