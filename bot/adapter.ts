import {
  CloudAdapter,
  ConfigurationServiceClientCredentialFactory,
  type TurnContext,
} from 'botbuilder';
import type { Config } from './config';
import type { Logger } from './logger';
import { ReusedConnectorClientsAuthentication } from './services/reusedConnectorClients';

/** Extra authentication settings, used by tests to point the adapter at their own OpenID metadata. */
export interface AdapterAuthOverrides {
  ToBotFromChannelOpenIdMetadataUrl?: string;
  ToBotFromEmulatorOpenIdMetadataUrl?: string;
  ToChannelFromBotOAuthScope?: string;
  ToChannelFromBotLoginUrl?: string;
}

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
    { ...credentials, ...overrides },
    new ConfigurationServiceClientCredentialFactory(credentials),
  );
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: unknown) => {
    logger.error({ err: error, activityType: context.activity?.type, channelId: context.activity?.channelId }, 'turn failed');
  };
  return adapter;
}
