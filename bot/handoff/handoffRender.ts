import type { Activity } from 'botbuilder';
import { CARD_PREVIEW_MESSAGES, handoffAgentCard } from '../../cards/handoffAgent';
import { handoffTranscriptCard } from '../../cards/handoffTranscript';
import { cardAttachment } from '../../cards/render';
import type { HandoffSessionRecord } from '../../data/handoffRepository';
import type { HandoffService } from '../../domain/handoff/handoffService';
import type { Lang, Translate } from '../../domain/i18n';

/** The user's requests on file, as the agents' card lists them. */
export type RequestsOf = (userId: string) => Promise<{ reference: string; status: string }[]>;

export interface AgentCardDeps {
  service: HandoffService;
  requestsOf: RequestsOf;
  t: Translate;
  lang: Lang;
  now: Date;
}

/** The agents' card of a session as it stands now (read from the database at delivery time). */
export async function agentCardActivity(deps: AgentCardDeps, session: HandoffSessionRecord): Promise<Partial<Activity>> {
  const [lastMessages, requests] = await Promise.all([
    deps.service.messages(session.id, { last: CARD_PREVIEW_MESSAGES, direction: 'user' }),
    deps.requestsOf(session.userId),
  ]);
  const card = handoffAgentCard(
    deps.t,
    deps.lang,
    {
      sessionId: session.id,
      version: session.version,
      status: session.status,
      endedBy: session.endedBy,
      userName: session.userName,
      userLang: session.lang,
      requestedAt: session.requestedAt,
      agentName: session.agentName,
      endedByName: session.endedByName,
      lastRoute: session.lastRoute,
      requests: requests.slice(0, 5),
      lastMessages: lastMessages.map((m) => ({ text: m.text, withheld: m.withheld })),
      waitNotified: session.waitNotifiedAt !== null,
      waitMinutes: deps.service.waitMinutes,
    },
    deps.now,
  );
  return { type: 'message', attachments: [cardAttachment(card)] };
}

/** One message with a transcript card per session (« Voir la transcription »), each within Teams' size limit. */
export async function transcriptActivities(service: HandoffService, sessions: HandoffSessionRecord[], t: Translate, lang: Lang): Promise<Partial<Activity>[]> {
  const activities: Partial<Activity>[] = [];
  for (const session of sessions) {
    const entries = await service.messages(session.id);
    const card = handoffTranscriptCard(t, lang, { userName: session.userName, requestedAt: session.requestedAt, status: session.status, agentName: session.agentName, entries });
    activities.push({ type: 'message', attachments: [cardAttachment(card)] });
  }
  return activities;
}
