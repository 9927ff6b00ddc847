import {
  type Activity,
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
export function createAdapter(config: Config, logger: Logger, overrides: AdapterAuthOverrides = {}): HelpdeskAdapter {
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
  const adapter = new HelpdeskAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: unknown) => {
    logger.error({ err: error, activityType: context.activity?.type, channelId: context.activity?.channelId }, 'turn failed');
  };
  // Through our logger (redaction, JSON lines), not the console: a refused token is the caller's problem (warn).
  adapter.report = (problem, err) => {
    if (problem === 'missing-type') logger.warn('activity without a type refused');
    else if (err instanceof connector.AuthenticationError) logger.warn({ err }, 'activity refused: authentication failed');
    else logger.error({ err }, 'activity failed');
  };
  return adapter;
}

/** What the adapter answers to one POSTed activity: the HTTP status and, for invokes, the body. */
export interface ActivityAnswer {
  status: number;
  body?: unknown;
}

/**
 * CloudAdapter, with `processBody`: what `process(req, res, logic)` does for a POSTed activity whose body is
 * already parsed, without building zod schemas on every request.
 * @remarks botbuilder's `process` builds three zod 3 schemas per request (`z.record(z.unknown())` twice and
 * `z.string()`, each binding some thirty methods) to check that the body is an object and the Authorization header a
 * string: ~15 KiB of garbage per turn, 5 % of all the bot allocates. `processBody` makes the same checks in plain
 * JavaScript, fixes the timestamps as botbuilder's `validateAndFixActivity` does, and runs `processActivity` with the
 * same answers: invoke response status (200 without one), 400 without a type, 401 for an AuthenticationError, 500
 * for any other error (reported through `report`, else logged to the console as botbuilder does). `test/unit/adapter-process.test.ts` compares both.
 */
export class HelpdeskAdapter extends CloudAdapter {
  /**
   * Where `processBody` reports what botbuilder's `process` writes to the console: an activity without a type, and
   * an activity that failed outside the turn (authentication, or an error `onTurnError` rethrew). Console when unset.
   */
  report?: (problem: 'missing-type' | 'failed', err?: unknown) => void;

  async processBody(body: unknown, authorization: unknown, logic: (context: TurnContext) => Promise<void>): Promise<ActivityAnswer> {
    if (!isPlainRecord(body)) {
      return { status: StatusCodes.BAD_REQUEST, body: '`req.body` not an object, make sure you are using middleware to parse incoming requests.' };
    }
    const activity = fixActivity(body);
    if (!activity.type) {
      if (this.report) this.report('missing-type');
      else console.warn('BadRequest: Missing activity or activity type.');
      return { status: StatusCodes.BAD_REQUEST };
    }
    if (typeof authorization !== 'string') throw new TypeError('the Authorization header is not a string');
    try {
      const invokeResponse = await this.processActivity(authorization, activity, logic);
      return { status: invokeResponse?.status ?? StatusCodes.OK, body: invokeResponse?.body };
    } catch (err) {
      if (this.report) this.report('failed', err);
      else console.error(err);
      return { status: err instanceof connector.AuthenticationError ? StatusCodes.UNAUTHORIZED : StatusCodes.INTERNAL_SERVER_ERROR, body: (err as { message?: unknown }).message ?? err };
    }
  }
}

/** zod 3's `z.record(z.unknown())` check: an object that is not null, an array, a date, a map, a set or a promise. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Map) &&
    !(value instanceof Set) &&
    !(typeof (value as { then?: unknown }).then === 'function' && typeof (value as { catch?: unknown }).catch === 'function')
  );
}

/** botbuilder's `validateAndFixActivity`: requires a string type, and turns the three timestamps into dates (keeping the raw strings). */
function fixActivity(body: Record<string, unknown>): Activity {
  if (typeof body.type !== 'string') throw new Error('validateAndFixActivity(): missing activity type.');
  if (typeof body.timestamp === 'string') {
    body.rawTimestamp = body.timestamp;
    body.timestamp = new Date(body.timestamp);
  }
  if (typeof body.expiration === 'string') {
    body.rawExpiration = body.expiration;
    body.expiration = new Date(body.expiration);
  }
  if (typeof body.localTimestamp === 'string') {
    body.rawLocalTimestamp = body.localTimestamp;
    body.localTimestamp = new Date(body.localTimestamp);
  }
  return body as unknown as Activity;
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
