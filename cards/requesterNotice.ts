import type { Lang, Translate } from '../domain/i18n';
import type { RequestStatus } from '../domain/intake/kinds';
import type { RequesterNotice } from '../domain/requests/managerService';
import { STATUS_COLORS, formatDateTime } from './managerRequest';
import { renderCard, type AdaptiveCardJson } from './render';

/** What a notice needs to know about the request. */
export interface NoticeRequest {
  id: number | string;
  reference: string;
  kind: string;
  status: RequestStatus | string;
  requesterRole: string;
  codeExpiresAt: Date | string | null;
  rejectionReason: string | null;
}

/** The notice text for a change, in the requester's language. */
export function noticeText(t: Translate, lang: Lang, notice: RequesterNotice, r: NoticeRequest): string {
  const who = r.requesterRole === 'physician' ? 'self' : 'other';
  const date = r.codeExpiresAt ? formatDateTime(r.codeExpiresAt, lang) : '—';
  switch (notice) {
    case 'claimed':
      return t('managers:notices.claimed');
    case 'code_sent':
    case 'new_code':
    case 'reminder':
      return t(`managers:notices.${notice}.${who}`, { date });
    case 'completed':
      return t(`managers:notices.completed.${['access_with_code', 'access_without_code', 'withdrawal'].includes(r.kind) ? r.kind : 'access_with_code'}`);
    case 'rejected':
      return t('managers:notices.rejected', { reason: r.rejectionReason ?? '—' });
    case 'expired':
      return t('managers:notices.expired');
  }
}

/**
 * A status change told to the requester in their chat: reference, new status, what to do next; while a
 * secret code is pending, a button to say the registration is finished (verb `request.registrationDone`).
 */
export function requesterNoticeCard(t: Translate, lang: Lang, notice: RequesterNotice, request: NoticeRequest, cardId: string): AdaptiveCardJson {
  const status = request.status as RequestStatus;
  return renderCard('requesterNotice', {
    cardId,
    requestId: String(request.id),
    title: t('managers:notices.title', { reference: request.reference }),
    statusLine: t('managers:notices.status', { status: t(`intake:statuses.${status}`) }),
    statusColor: STATUS_COLORS[status] ?? 'Default',
    text: noticeText(t, lang, notice, request),
    canSayDone: status === 'code_sent' && (notice === 'code_sent' || notice === 'new_code' || notice === 'reminder'),
    doneLabel: t('managers:notices.registrationDoneButton'),
  });
}

/** Example notices: taken, code sent, reminder, rejected, completed. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang: Lang = t('managers:meta.lang') === 'en' ? 'en' : 'fr';
  const base: NoticeRequest = { id: 42, reference: 'DMA-2026-00042', kind: 'access_without_code', status: 'in_progress', requesterRole: 'physician', codeExpiresAt: null, rejectionReason: null };
  const sent = { ...base, status: 'code_sent', codeExpiresAt: '2026-03-07T16:00:00Z' };
  return [
    requesterNoticeCard(t, lang, 'claimed', base, 'notice-1'),
    requesterNoticeCard(t, lang, 'code_sent', sent, 'notice-2'),
    requesterNoticeCard(t, lang, 'reminder', { ...sent, requesterRole: 'manager' }, 'notice-3'),
    requesterNoticeCard(t, lang, 'rejected', { ...base, status: 'rejected', rejectionReason: 'Autorisation manquante.' }, 'notice-4'),
    requesterNoticeCard(t, lang, 'completed', { ...base, kind: 'withdrawal', status: 'completed' }, 'notice-5'),
  ];
}
