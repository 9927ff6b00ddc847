import { TeamsInfo, type TurnContext } from 'botbuilder';
import type { RequesterProfile } from '../../dialogs/services';
import type { Logger } from '../logger';

/**
 * The requester's Teams profile (given name, surname, email) from `TeamsInfo.getMember`.
 * @remarks Only in Teams; elsewhere, or when Teams does not answer, the form simply starts empty.
 */
export async function teamsProfileOf(context: TurnContext, logger: Logger): Promise<RequesterProfile | undefined> {
  if (context.activity.channelId !== 'msteams') return undefined;
  try {
    const member = await TeamsInfo.getMember(context, context.activity.from.id);
    return {
      givenName: member.givenName ?? undefined,
      surname: member.surname ?? undefined,
      name: member.name ?? undefined,
      email: member.email ?? member.userPrincipalName ?? undefined,
    };
  } catch (err) {
    logger.warn({ err }, 'Teams profile lookup failed; the form starts empty');
    return undefined;
  }
}
