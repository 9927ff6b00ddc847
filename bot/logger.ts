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

function scrubError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: scrubErrorText(String(err)) };
  return {
    type: err.name,
    message: scrubErrorText(err.message),
    code: (err as { code?: unknown }).code,
    stack: err.stack ? scrubErrorText(err.stack) : undefined,
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
      serializers: { err: scrubError, error: scrubError },
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
