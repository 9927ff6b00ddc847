import type { Middleware, TurnContext } from 'botbuilder';
import { readTurnInput } from '../../dialogs/turnInput';
import type { Logger } from '../logger';

/** Names we log as they are (verbs, invoke names, locales); anything else is logged as `other`. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9]*([./_-][A-Za-z0-9]+){0,4}$/;

function safe(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' && value.length <= 40 && SAFE_NAME.test(value) && !value.includes('@') ? value : 'other';
}

/**
 * Logs each turn at debug level (what kind of activity, which card verb, how long it took), never its content:
 * no text, no card values, no names. Ids stay (activity and conversation), to follow a turn across logs.
 */
export class TurnLogMiddleware implements Middleware {
  constructor(private readonly logger: Logger) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (!this.logger.isLevelEnabled('debug')) return next();
    const a = context.activity;
    const input = readTurnInput(a);
    const started = Date.now();
    const summary = {
      activityType: safe(a.type),
      invokeName: safe(a.name),
      verb: input.kind === 'action' ? safe(input.verb) : undefined,
      hasText: input.kind === 'text',
      channelId: safe(a.channelId),
      conversationType: safe(a.conversation?.conversationType),
      locale: safe(a.locale),
      // Channel-made ids (`1:1Ab…`, `f:12…`); an id that could carry anything else (an address, text) is not logged.
      activityId: typeof a.id === 'string' && /^[\w:.;|=+/-]{1,80}$/.test(a.id) ? a.id : undefined,
    };
    this.logger.debug(summary, 'turn');
    await next();
    this.logger.trace({ ...summary, durationMs: Date.now() - started }, 'turn done');
  }
}
