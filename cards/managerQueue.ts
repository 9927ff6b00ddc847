import type { Lang, Translate } from '../domain/i18n';
import type { RequestStatus } from '../domain/intake/kinds';
import { OPEN_STATUSES } from '../domain/requests/lifecycle';
import { STATUS_COLORS, formatAge } from './managerRequest';
import { renderCard, type AdaptiveCardJson } from './render';

/** One open request as the queue shows it: no personal data beyond the assignee's name. */
export interface QueueItem {
  reference: string;
  kind: string;
  status: RequestStatus | string;
  createdAt: Date | string;
  assigneeName: string | null;
}

/** The managers' queue (« file », verb `menu.queue`): counts per open status, then open requests oldest first with their age. */
export function managerQueueCard(
  t: Translate,
  _lang: Lang,
  options: { cardId: string; now: Date; requests: readonly QueueItem[]; counts: Record<string, number>; total: number },
): AdaptiveCardJson {
  const counts = Object.fromEntries(OPEN_STATUSES.map((s) => [s, options.counts[s] ?? 0]));
  const hidden = Math.max(0, options.total - options.requests.length);
  return renderCard('managerQueue', {
    cardId: options.cardId,
    title: t('managers:queue.title'),
    countsLine: t('managers:queue.counts', counts),
    emptyText: options.total === 0 ? t('managers:queue.empty') : '',
    requests: options.requests.map((r) => ({
      reference: r.reference,
      line: t('managers:queue.line', {
        kind: t(`intake:kinds.${r.kind}`),
        status: t(`intake:statuses.${r.status}`),
        age: formatAge(r.createdAt, options.now, t),
      }),
      statusColor: STATUS_COLORS[r.status as RequestStatus] ?? 'Default',
      assigneeLine: r.assigneeName ? t('managers:queue.assignee', { name: r.assigneeName }) : t('managers:queue.unassigned'),
    })),
    moreText: hidden > 0 ? t('managers:queue.more', { count: hidden }) : '',
    refreshLabel: t('managers:queue.refresh'),
  });
}

/** Example queues: empty, and three open requests of different ages. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang: Lang = t('managers:meta.lang') === 'en' ? 'en' : 'fr';
  const now = new Date('2026-03-06T15:00:00Z');
  return [
    managerQueueCard(t, lang, { cardId: 'queue-1', now, requests: [], counts: {}, total: 0 }),
    managerQueueCard(t, lang, {
      cardId: 'queue-2',
      now,
      requests: [
        { reference: 'DMA-2026-00040', kind: 'access_without_code', status: 'code_sent', createdAt: '2026-03-02T14:05:00Z', assigneeName: 'Luc Gagnon' },
        { reference: 'DMA-2026-00041', kind: 'withdrawal', status: 'in_progress', createdAt: '2026-03-06T11:30:00Z', assigneeName: 'Luc Gagnon' },
        { reference: 'DMA-2026-00042', kind: 'access_with_code', status: 'submitted', createdAt: '2026-03-06T14:48:00Z', assigneeName: null },
      ],
      counts: { submitted: 1, in_progress: 1, code_sent: 1 },
      total: 5,
    }),
  ];
}
