import { previewText } from '../domain/handoff/text';
import { resolveLang, type Lang, type Translate } from '../domain/i18n';
import { describeMoment } from './answer';
import { renderCard, type AdaptiveCardJson } from './render';

/** Verbs of the agents' card. */
export const HANDOFF_ACCEPT_VERB = 'handoff.accept';
export const HANDOFF_END_VERB = 'handoff.end';
export const HANDOFF_TRANSCRIPT_VERB = 'handoff.transcript';
export const HANDOFF_AGENT_VERBS = [HANDOFF_ACCEPT_VERB, HANDOFF_END_VERB, HANDOFF_TRANSCRIPT_VERB] as const;

/** Routes shown as the conversation's topic (those with a label in handoff:topics). */
const TOPIC_ROUTES = [
  'access.request', 'access.withdraw', 'request.status', 'support.registration', 'support.ramq_technical',
  'info.hours', 'info.credentials_email', 'info.password_rules', 'info.b2b_forms', 'info.rvsq',
] as const;

/** How many of the user's last messages the card previews. */
export const CARD_PREVIEW_MESSAGES = 5;

/** What the agents' card shows of a session (plain data; the bot layer reads it from the database). */
export interface HandoffCardView {
  sessionId: number;
  version: number;
  status: 'waiting' | 'active' | 'ended' | 'cancelled';
  endedBy?: string | null;
  /** Teams display name of the user (the only personal detail on the card). */
  userName: string | null;
  userLang: string;
  requestedAt: Date;
  agentName?: string | null;
  endedByName?: string | null;
  lastRoute?: string | null;
  /** The user's requests on file, newest first. */
  requests: { reference: string; status: string }[];
  /** The user's last messages, oldest first; withheld ones have no text. */
  lastMessages: { text: string | null; withheld: boolean }[];
  /** The user was told no agent had come after `waitMinutes`. */
  waitNotified: boolean;
  waitMinutes: number;
}

/** Data the handoffAgent template expects. */
export interface HandoffAgentCardData {
  cardId: string;
  sessionId: number;
  version: number;
  title: string;
  status: string;
  statusColor: 'Attention' | 'Default';
  facts: { title: string; value: string }[];
  messagesTitle: string;
  messages: { text: string }[];
  hasNote: boolean;
  note: string;
  hasHowTo: boolean;
  howTo: string;
  actions: { verb: string; title: string }[];
}

function statusLine(t: Translate, v: HandoffCardView): { text: string; color: HandoffAgentCardData['statusColor'] } {
  switch (v.status) {
    case 'waiting':
      return { text: t('handoff:card.waiting'), color: 'Attention' };
    case 'active':
      return { text: t('handoff:card.active', { agent: v.agentName ?? '?' }), color: 'Default' };
    case 'ended':
      return v.endedBy === 'agent'
        ? { text: t('handoff:card.endedByAgent', { agent: v.endedByName ?? v.agentName ?? '?' }), color: 'Default' }
        : { text: t('handoff:card.endedByUser'), color: 'Default' };
    default:
      return { text: t('handoff:card.cancelled'), color: 'Default' };
  }
}

/**
 * The card posted in the agents' channel for one handoff, rendered from the session's current state:
 * waiting (« Prendre »), taken by X (« Terminer »), ended or cancelled; « Voir la transcription » always.
 * @remarks Shows the user's display name only; the preview of their messages masks emails, codes and numbers.
 */
export function handoffAgentCard(t: Translate, lang: Lang, view: HandoffCardView, now: Date): AdaptiveCardJson {
  const status = statusLine(t, view);
  const facts = [
    { title: t('handoff:card.who'), value: view.userName?.trim() || t('handoff:card.unknownUser') },
    { title: t('handoff:card.since'), value: describeMoment(view.requestedAt, now, t, lang) },
    { title: t('handoff:card.lang'), value: t(`handoff:langs.${view.userLang === 'en' ? 'en' : 'fr'}`) },
  ];
  if (view.lastRoute && (TOPIC_ROUTES as readonly string[]).includes(view.lastRoute)) {
    facts.push({ title: t('handoff:card.topic'), value: t(`handoff:topics.${view.lastRoute}`) });
  }
  if (view.requests.length) {
    facts.push({
      title: t('handoff:card.requests'),
      value: view.requests.map((r) => t('handoff:card.request', { reference: r.reference, status: t(`intake:statuses.${r.status}`) })).join(', '),
    });
  }
  const preview = view.lastMessages.slice(-CARD_PREVIEW_MESSAGES);
  const messages = preview.length
    ? preview.map((m) => ({ text: m.withheld || m.text === null ? t('handoff:card.withheld') : t('handoff:card.quote', { text: previewText(m.text) }) }))
    : [{ text: t('handoff:card.noMessages') }];
  const open = view.status === 'waiting' || view.status === 'active';
  const actions = [
    ...(view.status === 'waiting' ? [{ verb: HANDOFF_ACCEPT_VERB, title: t('handoff:card.accept') }] : []),
    ...(view.status === 'active' ? [{ verb: HANDOFF_END_VERB, title: t('handoff:card.end') }] : []),
    { verb: HANDOFF_TRANSCRIPT_VERB, title: t('handoff:card.transcript') },
  ];
  const data: HandoffAgentCardData = {
    cardId: `handoff-${view.sessionId}`,
    sessionId: view.sessionId,
    version: view.version,
    title: t('handoff:card.title'),
    status: status.text,
    statusColor: status.color,
    facts,
    messagesTitle: t('handoff:card.lastMessages'),
    messages,
    hasNote: view.status === 'waiting' && view.waitNotified,
    note: t('handoff:card.waitNotified', { minutes: view.waitMinutes }),
    hasHowTo: open,
    howTo: t('handoff:card.howTo'),
    actions,
  };
  return renderCard('handoffAgent', data);
}

/** Example cards (waiting with a preview and a long wait, taken, ended, cancelled) for the card validation test. */
export function samples(t: Translate): AdaptiveCardJson[] {
  const lang = resolveLang(t('knowledge:meta.locale'));
  const now = new Date('2026-03-02T15:20:00Z');
  const base: HandoffCardView = {
    sessionId: 7,
    version: 1,
    status: 'waiting',
    userName: 'Dre Sophie Gagnon',
    userLang: 'fr',
    requestedAt: new Date('2026-03-02T15:05:00Z'),
    lastRoute: 'support.ramq_technical',
    requests: [{ reference: 'DMA-2026-00012', status: 'code_sent' }],
    lastMessages: [
      { text: 'mon compte est bloqué depuis ce matin, mon code usager est sgagn042', withheld: false },
      { text: null, withheld: true },
      { text: 'vous pouvez m’écrire à sophie.gagnon@example.org ou au 418 555-0101', withheld: false },
    ],
    waitNotified: true,
    waitMinutes: 10,
  };
  return [
    handoffAgentCard(t, lang, base, now),
    handoffAgentCard(t, lang, { ...base, status: 'active', version: 2, agentName: 'Marie Tremblay', waitNotified: false, requests: [], lastRoute: null }, now),
    handoffAgentCard(t, lang, { ...base, status: 'ended', version: 3, agentName: 'Marie Tremblay', endedBy: 'agent', endedByName: 'Marie Tremblay' }, now),
    handoffAgentCard(t, lang, { ...base, status: 'cancelled', version: 2, endedBy: 'user', userName: null, lastMessages: [] }, now),
  ];
}
