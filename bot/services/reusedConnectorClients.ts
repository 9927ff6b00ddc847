import { ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';
import type { AuthenticateRequestResult, ClaimsIdentity, ConnectorClient, ConnectorFactory, UserTokenClient } from 'botframework-connector';
import { withLeanConversations } from './leanConnector';

/** Most clients kept (one per caller, service URL and audience: a handful in practice). */
const MAX_CLIENTS = 64;

/** Returns the cached value for the key, creating it on first use; forgets failures and the oldest entry past the limit. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, create: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    value = create();
    value.catch(() => cache.delete(key));
    cache.set(key, value);
    if (cache.size > MAX_CLIENTS) cache.delete(cache.keys().next().value!);
  }
  return value;
}

/** Who called, as the token says it (v1 `appid`, v2 `azp`); empty when anonymous. */
function callerOf(claimsIdentity: ClaimsIdentity | undefined): string {
  return [claimsIdentity?.getClaimValue('appid'), claimsIdentity?.getClaimValue('azp')].map((v) => v ?? '').join('|');
}

/**
 * The adapter's Bot Framework authentication, building connector clients and user-token clients once per caller,
 * service URL and audience instead of on every incoming activity.
 * @remarks CloudAdapter asks for both on every turn; building them (an HTTP pipeline with its policies, and the
 * credentials) cost more CPU than sending a reply (profile in docs/PERFORMANCE.md). Both are stateless apart from
 * their credentials, which cache and refresh their own tokens. Validating the incoming token still happens on
 * every request. Each connector client sends its replies, updates and member lookups through the fast path of
 * `leanConnector.ts`; its other operations are its own.
 */
export class ReusedConnectorClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new Map<string, Promise<ConnectorClient>>();
  private readonly userTokenClients = new Map<string, Promise<UserTokenClient>>();

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    return { ...result, connectorFactory: this.reusing(result.connectorFactory, result.claimsIdentity) };
  }

  override async authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateStreamingRequest(authHeader, channelIdHeader);
    return { ...result, connectorFactory: this.reusing(result.connectorFactory, result.claimsIdentity) };
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.reusing(super.createConnectorFactory(claimsIdentity), claimsIdentity)!;
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return remember(this.userTokenClients, callerOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }

  private reusing(factory: ConnectorFactory | undefined, claimsIdentity: ClaimsIdentity): ConnectorFactory | undefined {
    if (!factory) return factory;
    const caller = callerOf(claimsIdentity);
    const connectors = this.connectors;
    return {
      create: (serviceUrl: string, audience?: string) =>
        remember(connectors, `${caller}|${serviceUrl}|${audience ?? ''}`, async () => withLeanConversations(await factory.create(serviceUrl, audience))),
    } as ConnectorFactory;
  }
}
