import type { Translate } from '../domain/i18n';
import { renderCard, type AdaptiveCardJson } from './render';

/** The menu verbs the welcome card offers, in display order. */
export const MENU_VERBS = ['menu.access', 'menu.withdraw', 'menu.status', 'menu.help', 'menu.agent'] as const;
export type MenuVerb = (typeof MENU_VERBS)[number];

const LABEL_KEYS: Record<MenuVerb, string> = {
  'menu.access': 'menu.access',
  'menu.withdraw': 'menu.withdraw',
  'menu.status': 'menu.status',
  'menu.help': 'menu.help',
  'menu.agent': 'menu.agent',
};

/** Data the welcome/menu template expects. */
export interface WelcomeCardData {
  cardId: string;
  title: string;
  intro: string;
  phoneNote: string;
  actions: { verb: MenuVerb; title: string }[];
}

/** Builds the French-first welcome card with the main menu. */
export function welcomeCard(t: Translate, cardId: string): AdaptiveCardJson {
  const data: WelcomeCardData = {
    cardId,
    title: t('welcome.title'),
    intro: t('welcome.intro'),
    phoneNote: t('welcome.phoneNote'),
    actions: MENU_VERBS.map((verb) => ({ verb, title: t(LABEL_KEYS[verb]) })),
  };
  return renderCard('welcome', data);
}

/** Example cards for the template checks. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [welcomeCard(t, 'sample-card')];
}
