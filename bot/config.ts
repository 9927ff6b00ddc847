import { z } from 'zod';

import { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS } from '../domain/intake/sharedMailboxes';

export { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS };

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A Teams team id, as Teams sends it or as copied from a Teams link (URL-encoded): stored decoded. */
const teamIdText = optionalText.transform((v) => {
  if (v === undefined) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
});

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The one schema over the process environment. Parsed once at start-up by {@link loadConfig}. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3978),
    DATABASE_URL: z
      .string()
      .trim()
      .default('file:./data/helpdesk.db')
      .refine((v) => /^(file:|postgres(ql)?:\/\/)/.test(v), {
        message: 'must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL)',
      }),
    MicrosoftAppId: optionalText,
    MicrosoftAppPassword: optionalText,
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppTenantId: optionalText,
    DEFAULT_LOCALE: z
      .string()
      .trim()
      .default('fr-CA')
      .refine((v) => /^(fr|en)(-[A-Za-z]{2})?$/.test(v), { message: 'must be a French or English locale such as fr-CA or en-CA' }),
    ACCESS_MANAGERS_TEAM_ID: teamIdText,
    ACCESS_MANAGERS_CHANNEL_ID: optionalText,
    HELPDESK_AGENTS_TEAM_ID: teamIdText,
    HELPDESK_AGENTS_CHANNEL_ID: optionalText,
    /** Minutes a user waits for an agent before being given the phone number to call (they stay in the queue). */
    HANDOFF_WAIT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(10),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024),
    LOCAL_CHAT: boolFromEnv.optional(),
    DIRECTLINE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    SHARED_MAILBOX_LOCAL_PARTS: z
      .string()
      .optional()
      .transform((v) =>
        v === undefined || v.trim() === ''
          ? DEFAULT_SHARED_MAILBOX_LOCAL_PARTS
          : Object.freeze(v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
      ),
    RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(2000),
    OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
    OUTBOX_BACKOFF_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(2000),
    OUTBOX_BACKOFF_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(600_000),
    OUTBOX_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
    OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(8),
    /** Quiet stretch (ms) after which the heap is settled once (needs node --expose-gc, as npm start runs it); 0: never. */
    HEAP_SETTLE_IDLE_MS: z.coerce
      .number()
      .int()
      .max(3_600_000)
      .refine((ms) => ms === 0 || ms >= 5000, 'must be 0 (never) or at least 5000: V8 measures its allocation rate over 5 s')
      .default(5000),
    DEADLINE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(60_000),
    CODE_REMINDER_DAYS: z
      .string()
      .trim()
      .default('3,4')
      .refine((v) => v === '' || /^\d+(\s*,\s*\d+)*$/.test(v), { message: 'must be a comma-separated list of days, e.g. 3,4' })
      .transform((v) => (v === '' ? [] : [...new Set(v.split(',').map((d) => Number(d.trim())))].sort((a, b) => a - b)))
      .refine((days) => days.every((d) => d >= 1 && d <= 4), { message: 'days must be between 1 and 4 (the secret code is valid 5 days)' }),
    REMINDER_BUSINESS_HOURS: z
      .string()
      .trim()
      .default('08:30-16:30')
      .refine((v) => /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v), { message: 'must look like 08:30-16:30' })
      .transform((v) => {
        const [from, to] = v.split('-').map((hm) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3)));
        return { from, to };
      })
      .refine((h) => h.from < h.to, { message: 'must end after it starts' }),
    RETENTION_SWEEP_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
    IDLE_CONVERSATION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    USER_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.MicrosoftAppId) {
        ctx.addIssue({ code: 'custom', path: ['MicrosoftAppId'], message: 'is required in production (the bot never runs anonymous in production)' });
      }
      if (!env.MicrosoftAppPassword && env.MicrosoftAppType !== 'UserAssignedMSI') {
        ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'is required in production (the bot never runs anonymous in production)' });
      }
    }
    if (env.OUTBOX_BACKOFF_MAX_MS < env.OUTBOX_BACKOFF_BASE_MS) {
      ctx.addIssue({ code: 'custom', path: ['OUTBOX_BACKOFF_MAX_MS'], message: 'must be at least OUTBOX_BACKOFF_BASE_MS' });
    }
    if (env.MicrosoftAppType === 'SingleTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: 'is required when MicrosoftAppType is SingleTenant' });
    }
  });

export type Config = z.infer<typeof configSchema> & {
  /** Whether the local Web Chat page is served (never in production). */
  localChat: boolean;
  databaseProvider: 'sqlite' | 'postgresql';
};

/** Thrown when the environment does not satisfy {@link configSchema}; its message is one readable line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once.
 * @remarks Throws a {@link ConfigError} whose message names the first wrong variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue.path.join('.') || 'environment';
    throw new ConfigError(`Invalid configuration: ${variable} ${issue.message}`);
  }
  const parsed = result.data;
  const localChat = parsed.NODE_ENV !== 'production' && (parsed.LOCAL_CHAT ?? true);
  const databaseProvider = parsed.DATABASE_URL.startsWith('file:') ? 'sqlite' : 'postgresql';
  return { ...parsed, localChat, databaseProvider };
}
