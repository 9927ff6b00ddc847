import type { Translate } from '../domain/i18n';
import type { RequestKind, RequesterRole } from '../domain/intake/kinds';
import { renderCard, type AdaptiveCardJson } from './render';

/** The registration line of the CIUSSS de la Capitale-Nationale, as a tel: link. */
export const REGISTRATION_PHONE_URL = 'tel:+14188211743';

const STEP_COUNT: Record<RequestKind, number> = { access_with_code: 3, access_without_code: 4, withdrawal: 1 };

/** What the filed card shows. */
export interface FiledCardOptions {
  cardId: string;
  kind: RequestKind;
  role: RequesterRole;
  reference: string;
}

/** Data the intakeFiled template expects. */
export interface FiledCardData {
  cardId: string;
  title: string;
  referenceLine: string;
  keepReference: string;
  nextTitle: string;
  steps: { text: string }[];
  keepSecret: string;
  notified: string;
  questions: string;
  ramqSupport: string;
  callLabel: string;
  telUrl: string;
  myRequestsLabel: string;
}

/** The numbered next steps for a kind, worded for the requester themself (physician) or about the professional (manager, supervisor). */
export function nextSteps(t: Translate, kind: RequestKind, role: RequesterRole): string[] {
  const who = kind !== 'withdrawal' && role === 'physician' ? 'self' : 'other';
  return Array.from({ length: STEP_COUNT[kind] }, (_, i) => `${i + 1}. ${t(`intake:filed.steps.${kind}.${who}.${i + 1}`)}`);
}

/** Builds the card shown once a request is filed: its reference, what happens next, and whom to call. */
export function filedCard(t: Translate, options: FiledCardOptions): AdaptiveCardJson {
  const { cardId, kind, role, reference } = options;
  const access = kind !== 'withdrawal';
  const data: FiledCardData = {
    cardId,
    title: t('intake:filed.title'),
    referenceLine: t('intake:filed.reference', { reference }),
    keepReference: t('intake:filed.keepReference'),
    nextTitle: t('intake:filed.nextTitle'),
    steps: nextSteps(t, kind, role).map((text) => ({ text })),
    keepSecret: kind === 'access_without_code' ? t('intake:filed.keepSecret') : '',
    notified: t('intake:filed.notified'),
    questions: t('intake:filed.questions'),
    ramqSupport: access ? t('intake:filed.ramqSupport') : '',
    callLabel: t('intake:actions.call'),
    telUrl: REGISTRATION_PHONE_URL,
    myRequestsLabel: t('intake:actions.myRequests'),
  };
  return renderCard('intakeFiled', data);
}

/** Example filed cards for the three kinds. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [
    filedCard(t, { cardId: 'sample-filed-1', kind: 'access_with_code', role: 'physician', reference: 'DMA-2026-00042' }),
    filedCard(t, { cardId: 'sample-filed-2', kind: 'access_without_code', role: 'manager', reference: 'DMA-2026-00043' }),
    filedCard(t, { cardId: 'sample-filed-3', kind: 'withdrawal', role: 'supervisor', reference: 'DMA-2026-00044' }),
  ];
}
