import { DateTime } from 'luxon';
import { describeMoment, formatLocalTime } from '../cards/answer';
import { RAMQ_ZONE, ramqLinesStatus } from '../domain/hours';
import { firstNameOf } from '../domain/handoff/text';
import type { Lang, Translate } from '../domain/i18n';
import { PHONES } from '../domain/knowledge';

/** What the user reads when asking for a person: asked, open or closed now, keep typing. */
export function handoffRequestedText(t: Translate, lang: Lang, now: Date): string {
  return [t('handoff:user.requested'), helpDeskHours(t, lang, now), t('handoff:user.keepTyping')].join('\n\n');
}

/**
 * Whether the help desk is open now, by the RAMQ phone hours (America/Toronto, Québec holidays closed).
 * @remarks No hours are published for the help desk itself; it follows RAMQ's.
 */
function helpDeskHours(t: Translate, lang: Lang, now: Date): string {
  const status = ramqLinesStatus(now);
  if (status.open && status.closesAt) return t('handoff:user.openNow', { closesAt: localTime(status.closesAt, lang) });
  if (status.nextOpening) return t('handoff:user.closedNow', { nextOpening: describeMoment(status.nextOpening, now, t, lang) });
  return t('handoff:user.closedNoDate');
}

/**
 * What a user who has waited too long reads: the number to call for their topic (RAMQ technical support when
 * the conversation was about a RAMQ technical problem, with whether RAMQ lines are open now; otherwise the
 * registration line, which publishes no hours), and that they stay in the queue.
 */
export function waitTimeoutText(t: Translate, lang: Lang, now: Date, lastRoute: string | null | undefined): string {
  let first: string;
  if (lastRoute === 'support.ramq_technical') {
    const status = ramqLinesStatus(now);
    const hours =
      status.open && status.closesAt
        ? t('handoff:user.ramqOpen', { closesAt: localTime(status.closesAt, lang) })
        : status.nextOpening
          ? t('handoff:user.ramqClosed', { nextOpening: describeMoment(status.nextOpening, now, t, lang) })
          : t('handoff:user.ramqClosedNoDate');
    first = t('handoff:user.waitTechnical', { phone: PHONES.ramqTechnical.display, hours });
  } else {
    first = t('handoff:user.waitRegistration', { phone: PHONES.registration.display });
  }
  return [first, t('handoff:user.stayInQueue')].join('\n\n');
}

/** How an agent is named to the user: their first name, or « une personne du soutien ». */
export function agentLabel(t: Translate, displayName: string | null | undefined): string {
  return firstNameOf(displayName) ?? t('handoff:user.someone');
}

function localTime(at: Date, lang: Lang): string {
  return formatLocalTime(DateTime.fromJSDate(at).setZone(RAMQ_ZONE), lang);
}
