import { DateTime } from 'luxon';
import type { Lang, Translate } from '../domain/i18n';
import type { RequestKind, RequestStatus } from '../domain/intake/kinds';
import { renderCard, type AdaptiveCardJson } from './render';

/** Most requests listed on one card (keeps the card well under Teams' size limit). */
export const MAX_LISTED_REQUESTS = 20;

/** Time zone in which filing dates are shown. */
export const DISPLAY_ZONE = 'America/Toronto';

/** One of the requester's requests, as the list shows it. */
export interface RequestListItem {
  id: string | number;
  reference: string;
  kind: RequestKind;
  status: RequestStatus;
  createdAt: Date | string;
  /** Whom the request is about (e.g. the professional's name), shown as plain text; omit for a physician's own request. */
  subject?: string;
}

/** Data the requestList template expects. */
export interface RequestListCardData {
  cardId: string;
  title: string;
  emptyText: string;
  requests: {
    id: string;
    reference: string;
    kindLabel: string;
    statusLine: string;
    statusColor: 'Default' | 'Accent' | 'Attention';
    subjectLabel: string;
    subject: string;
    canCancel: boolean;
    cancelLabel: string;
  }[];
  moreText: string;
  requestAccessLabel: string;
}

/** Status colours readable in Teams' light theme (its Good green and Warning yellow fail WCAG AA on white). */
const STATUS_COLORS: Record<RequestStatus, RequestListCardData['requests'][number]['statusColor']> = {
  submitted: 'Default',
  in_progress: 'Default',
  code_sent: 'Accent',
  completed: 'Default',
  rejected: 'Attention',
  cancelled: 'Default',
  expired: 'Attention',
};

/** A filing date as a long local date in the user's language (« 3 mars 2026 », « March 3, 2026 »). */
export function formatFilingDate(value: Date | string, lang: Lang): string {
  const date = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value);
  if (!date.isValid) return '—';
  return date.setZone(DISPLAY_ZONE).setLocale(lang === 'fr' ? 'fr-CA' : 'en-CA').toLocaleString(DateTime.DATE_FULL);
}

/** Builds « Mes demandes »: each request's reference, kind, localized status and date; a `submitted` one can be cancelled (verb `request.cancel`). */
export function requestListCard(t: Translate, lang: Lang, options: { cardId: string; requests: readonly RequestListItem[] }): AdaptiveCardJson {
  const { cardId, requests } = options;
  const shown = requests.slice(0, MAX_LISTED_REQUESTS);
  const hidden = requests.length - shown.length;
  const data: RequestListCardData = {
    cardId,
    title: t('intake:list.title'),
    emptyText: requests.length === 0 ? t('intake:list.empty') : '',
    requests: shown.map((r) => ({
      id: String(r.id),
      reference: r.reference,
      kindLabel: t(`intake:kinds.${r.kind}`),
      statusLine: t('intake:list.statusLine', { status: t(`intake:statuses.${r.status}`), date: formatFilingDate(r.createdAt, lang) }),
      statusColor: STATUS_COLORS[r.status] ?? 'Default',
      subjectLabel: t('intake:list.subject'),
      subject: r.subject?.trim() ?? '',
      canCancel: r.status === 'submitted',
      cancelLabel: t('intake:actions.cancelRequest'),
    })),
    moreText: hidden > 0 ? t('intake:list.more', { count: hidden }) : '',
    requestAccessLabel: t('intake:actions.requestAccess'),
  };
  return renderCard('requestList', data);
}

/** Example lists: an empty one, and three requests in different states. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang: Lang = t('intake:meta.lang') === 'en' ? 'en' : 'fr';
  return [
    requestListCard(t, lang, { cardId: 'sample-list-1', requests: [] }),
    requestListCard(t, lang, {
      cardId: 'sample-list-2',
      requests: [
        { id: 'req-3', reference: 'DMA-2026-00044', kind: 'access_without_code', status: 'submitted', createdAt: '2026-03-12T14:05:00Z', subject: 'Léa O’Neil' },
        { id: 'req-2', reference: 'DMA-2026-00043', kind: 'access_without_code', status: 'code_sent', createdAt: '2026-03-02T15:30:00Z', subject: 'Jacques Roy' },
        { id: 'req-1', reference: 'DMA-2026-00042', kind: 'access_with_code', status: 'completed', createdAt: new Date('2026-02-20T13:00:00Z') },
      ],
    }),
  ];
}
