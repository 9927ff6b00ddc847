import type { Translate } from '../domain/i18n';
import { INFO_ROUTES, type InfoRouteId } from '../domain/routing/routes';
import { KNOWLEDGE } from '../domain/knowledge';
import { renderCard, type AdaptiveCardJson } from './render';

/** Verb of a help-card question: the submit data also carries `route`, the route to answer. */
export const ROUTE_ASK_VERB = 'route.ask';

/** Menu verbs offered under the question list (the flows the bot can start). */
export const HELP_MENU_VERBS = ['menu.access', 'menu.withdraw', 'menu.status', 'menu.agent'] as const;

/** Data the help template expects. */
export interface HelpCardData {
  cardId: string;
  title: string;
  intro: string;
  flows: string;
  questions: { route: InfoRouteId; text: string }[];
  actions: { verb: (typeof HELP_MENU_VERBS)[number]; title: string }[];
}

/** Builds the help card: every question the bot answers (a tap sends `route.ask` with the route) and the flows it can start. */
export function helpCard(t: Translate, cardId: string): AdaptiveCardJson {
  const data: HelpCardData = {
    cardId,
    title: t('knowledge:help.title'),
    intro: t('knowledge:help.intro'),
    flows: t('knowledge:help.flows'),
    questions: INFO_ROUTES.map((route) => ({ route, text: t(`knowledge:help.${KNOWLEDGE[route].section}`) })),
    actions: HELP_MENU_VERBS.map((verb) => ({ verb, title: t(verb) })),
  };
  return renderCard('help', data);
}

/** Example help cards for the card validation test. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [helpCard(t, 'sample-help')];
}
