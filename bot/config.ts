import { z } from 'zod';

import { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS } from '../domain/intake/sharedMailboxes';

export { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS };

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

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
    ACCESS_MANAGERS_TEAM_ID: optionalText,
    ACCESS_MANAGERS_CHANNEL_ID: optionalText,
    HELPDESK_AGENTS_TEAM_ID: optionalText,
    HELPDESK_AGENTS_CHANNEL_ID: optionalText,
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
          : v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean),
      ),
    RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
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
