import {
  CallerIdConstants,
  CloudAdapter,
  type ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  StatusCodes,
  type TurnContext,
} from 'botbuilder';
import type { Config } from './config';
import type { Logger } from './logger';
import { ReusedConnectorClientsAuthentication } from './services/reusedConnectorClients';

/** Extra authentication settings, used by tests to point the adapter at their own OpenID metadata. */
export interface AdapterAuthOverrides {
  ToBotFromChannelOpenIdMetadataUrl?: string;
  ToBotFromChannelTokenIssuer?: string;
  ToBotFromEmulatorOpenIdMetadataUrl?: string;
  ToChannelFromBotOAuthScope?: string;
  ToChannelFromBotLoginUrl?: string;
}

/**
 * botbuilder's own botframework-connector (the one CloudAdapter loads): its AuthenticationError is the class
 * CloudAdapter answers with 401, and its constants describe the public cloud.
 */
const connector = require(require.resolve('botframework-connector', { paths: [require.resolve('botbuilder')] })) as typeof import('botframework-connector');

/**
 * The public cloud's authentication settings.
 * @remarks botbuilder uses only the settings it is given as soon as one is given: an override of the metadata URL
 * alone would leave the token issuer unset (every token refused) and the login URL empty. Overrides are laid over these.
 */
const PUBLIC_CLOUD = {
  ValidateAuthority: true,
  ToChannelFromBotLoginUrl: connector.AuthenticationConstants.ToChannelFromBotLoginUrl,
  ToChannelFromBotOAuthScope: connector.AuthenticationConstants.ToChannelFromBotOAuthScope,
  ToBotFromChannelTokenIssuer: connector.AuthenticationConstants.ToBotFromChannelTokenIssuer,
  OAuthUrl: connector.AuthenticationConstants.OAuthUrl,
  ToBotFromChannelOpenIdMetadataUrl: connector.AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
  ToBotFromEmulatorOpenIdMetadataUrl: connector.AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
  CallerId: CallerIdConstants.PublicAzureChannel,
};

/**
 * Creates the Bot Framework CloudAdapter.
 * @remarks With no app id the adapter runs anonymous (local development only: configuration refuses it in production).
 */
export function createAdapter(config: Config, logger: Logger, overrides: AdapterAuthOverrides = {}): CloudAdapter {
  const credentials = {
    MicrosoftAppId: config.MicrosoftAppId,
    MicrosoftAppPassword: config.MicrosoftAppPassword,
    MicrosoftAppType: config.MicrosoftAppId ? config.MicrosoftAppType : undefined,
    MicrosoftAppTenantId: config.MicrosoftAppTenantId,
  };
  const auth = new ReusedConnectorClientsAuthentication(
    Object.keys(overrides).length ? { ...credentials, ...PUBLIC_CLOUD, ...overrides } : credentials,
    new ConfigurationServiceClientCredentialFactory(credentials),
  );
  refuseUnverifiedTokens(auth);
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: unknown) => {
    logger.error({ err: error, activityType: context.activity?.type, channelId: context.activity?.channelId }, 'turn failed');
  };
  return adapter;
}

/** Names of the errors jsonwebtoken throws when a token fails verification. */
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/**
 * Makes every token that fails verification a 401.
 * @remarks botbuilder turns its own AuthenticationError into 401, but lets jsonwebtoken's errors through, which
 * CloudAdapter answers with 500: a token whose `kid` names a published key but whose signature was made with
 * another key (a forgery) would get 500 instead of 401.
 */
function refuseUnverifiedTokens(auth: ConfigurationBotFrameworkAuthentication): void {
  const authenticate = auth.authenticateRequest.bind(auth);
  auth.authenticateRequest = async (activity, authHeader) => {
    try {
      return await authenticate(activity, authHeader);
    } catch (err) {
      if (err instanceof Error && TOKEN_ERRORS.has(err.name)) throw new connector.AuthenticationError('Unauthorized: the token could not be verified', StatusCodes.UNAUTHORIZED);
      throw err;
    }
  };
}
