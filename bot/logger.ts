import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Object keys whose values are personal data or secrets: always censored. */
export const REDACTED_KEYS = [
  'name', 'firstName', 'lastName', 'givenName', 'surname', 'email', 'requesterEmail', 'requesterName', 'userPrincipalName',
  'employeeNumber', 'ramqUserCode', 'jobTitle', 'practiceLocation', 'text', 'value', 'password', 'secret', 'secretCode',
  'authorization', 'Authorization', 'token', 'MicrosoftAppPassword', 'reason', 'attachments', 'body',
];

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
const DIGIT_RUN = /\b(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,}\b/g;

/**
 * Masks what could be personal data inside free text (emails, codes and numbers of 4+ characters).
 * @remarks Used on error messages and log messages; structured fields are censored by key instead.
 */
export function scrubText(text: string): string {
  return text.replace(EMAIL, '[email]').replace(DIGIT_RUN, (m) => (/^DMA$/.test(m) ? m : '[code]'));
}

/** A double-quoted literal, escapes included: how Prisma, botbuilder and zod quote the values they reject. */
const QUOTED = /"(?:[^"\\\n]|\\.)*"/g;

/**
 * Masks an error text: quoted values (an error often quotes the data it choked on, e.g. Prisma prints the whole
 * query), then emails and codes. What failed and where (names of fields, types, the stack's frames) stays.
 */
export function scrubErrorText(text: string): string {
  return scrubText(text.replace(QUOTED, '"…"'));
}

/**
 * An error from a remote HTTP service (botbuilder's RestError for the Bot Connector, Teams, Entra ID): its message is
 * the remote service's own text, which may quote what we sent it (names, emails). Status and code say what failed.
 */
function remoteStatus(err: Error): number | undefined {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The error an error wraps (`cause`, or botbuilder's `error` on DialogContextError). */
function innerError(err: Error): Error | undefined {
  const inner = (err as { cause?: unknown }).cause ?? (err as { error?: unknown }).error;
  return inner instanceof Error && inner !== err ? inner : undefined;
}

/** Remote messages found along the chain of wrapped errors, with what replaces them in the log. */
function remoteMessages(err: Error): [string, string][] {
  const found: [string, string][] = [];
  for (let e: Error | undefined = err, depth = 0; e && depth < 4; e = innerError(e), depth++) {
    const status = remoteStatus(e);
    if (status !== undefined && e.message) {
      const code = (e as { code?: unknown }).code;
      found.push([e.message, `HTTP ${status}${typeof code === 'string' ? ` ${code}` : ''} (remote message not logged)`]);
    }
  }
  return found;
}

function scrubError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: scrubErrorText(String(err)) };
  const replace = (text: string) => scrubErrorText(remoteMessages(err).reduce((t, [remote, placeholder]) => t.split(remote).join(placeholder), text));
  const inner = innerError(err);
  const status = remoteStatus(err);
  return {
    type: err.name,
    message: replace(err.message),
    code: (err as { code?: unknown }).code,
    statusCode: status,
    stack: err.stack ? replace(err.stack) : undefined,
    cause: inner && depth < 3 ? scrubError(inner, depth + 1) : undefined,
  };
}

/** Creates the structured logger: JSON lines, personal data censored by key and scrubbed from messages. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino(
    {
      level,
      base: { service: 'dma-helpdesk-bot' },
      redact: { paths, censor: '[redacted]' },
      serializers: { err: (e: unknown) => scrubError(e), error: (e: unknown) => scrubError(e) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}
