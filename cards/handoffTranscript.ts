import { DateTime } from 'luxon';
import { RAMQ_ZONE } from '../domain/hours';
import { resolveLang, type Lang, type Translate } from '../domain/i18n';
import { formatLocalTime } from './answer';
import { renderCard, type AdaptiveCardJson } from './render';

/** Most entries one transcript card shows (the newest) and longest text per entry: Teams refuses messages over about 100 KB. */
export const TRANSCRIPT_MAX_ENTRIES = 60;
export const TRANSCRIPT_MAX_TEXT = 1000;

const clip = (text: string) => (text.length > TRANSCRIPT_MAX_TEXT ? `${text.slice(0, TRANSCRIPT_MAX_TEXT - 1)}…` : text);

/** A transcript as the card shows it (plain data). */
export interface TranscriptView {
  userName: string | null;
  requestedAt: Date;
  status: 'waiting' | 'active' | 'ended' | 'cancelled';
  agentName?: string | null;
  /** Oldest first. */
  entries: { direction: 'user' | 'agent'; authorName: string | null; text: string | null; withheld: boolean; beforeHandoff: boolean; at: Date }[];
}

/** Data the handoffTranscript template expects. */
export interface HandoffTranscriptCardData {
  title: string;
  meta: string;
  hasOmitted: boolean;
  omitted: string;
  entries: { heading: string; text: string }[];
}

function when(at: Date, lang: Lang): string {
  const local = DateTime.fromJSDate(at).setZone(RAMQ_ZONE);
  return `${local.toFormat('yyyy-MM-dd')} ${formatLocalTime(local, lang)}`;
}

/**
 * The stored transcript of one handoff, shown on demand (« Voir la transcription »).
 * @remarks Passwords and secret codes were never stored: such messages show as withheld.
 */
export function handoffTranscriptCard(t: Translate, lang: Lang, view: TranscriptView): AdaptiveCardJson {
  const user = view.userName?.trim() || t('handoff:card.unknownUser');
  const shown = view.entries.slice(-TRANSCRIPT_MAX_ENTRIES);
  const omitted = view.entries.length - shown.length;
  const status =
    view.status === 'waiting'
      ? t('handoff:card.waiting')
      : view.status === 'active'
        ? t('handoff:card.active', { agent: view.agentName ?? '?' })
        : view.status === 'ended'
          ? t('handoff:transcript.ended')
          : t('handoff:transcript.cancelled');
  const data: HandoffTranscriptCardData = {
    title: t('handoff:transcript.title', { user }),
    meta: t('handoff:transcript.meta', { requestedAt: when(view.requestedAt, lang), status }),
    hasOmitted: omitted > 0,
    omitted: t('handoff:transcript.omitted', { count: omitted }),
    entries: shown.length
      ? shown.map((e) => {
          const author = e.direction === 'agent' ? t('handoff:transcript.agent', { agent: e.authorName ?? t('handoff:user.someone') }) : user;
          const context = e.beforeHandoff ? ` · ${t('handoff:transcript.beforeHandoff')}` : '';
          return { heading: `${author} · ${when(e.at, lang)}${context}`, text: e.withheld || e.text === null ? t('handoff:card.withheld') : clip(e.text) };
        })
      : [{ heading: user, text: t('handoff:transcript.empty') }],
  };
  return renderCard('handoffTranscript', data);
}

/** Example transcripts (a short exchange, an empty one) for the card validation test. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang = resolveLang(t('knowledge:meta.locale'));
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 15, minute));
  return [
    handoffTranscriptCard(t, lang, {
      userName: 'Dre Sophie Gagnon',
      requestedAt: at(5),
      status: 'ended',
      agentName: 'Marie Tremblay',
      entries: [
        { direction: 'user', authorName: null, text: 'je ne comprends pas le courriel de la RAMQ', withheld: false, beforeHandoff: true, at: at(4) },
        { direction: 'user', authorName: null, text: 'mon compte est bloqué', withheld: false, beforeHandoff: false, at: at(6) },
        { direction: 'user', authorName: null, text: null, withheld: true, beforeHandoff: false, at: at(7) },
        { direction: 'agent', authorName: 'Marie', text: 'Bonjour! Je regarde votre dossier.', withheld: false, beforeHandoff: false, at: at(9) },
      ],
    }),
    handoffTranscriptCard(t, lang, { userName: null, requestedAt: at(5), status: 'cancelled', entries: [] }),
  ];
}
