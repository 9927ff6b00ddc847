import fs from 'node:fs';
import path from 'node:path';
import * as ACData from 'adaptivecards-templating';

/** An Adaptive Card as JSON (what Teams receives in an attachment). */
export type AdaptiveCardJson = { type: 'AdaptiveCard'; version: string; body?: unknown[]; actions?: unknown[]; [k: string]: unknown };

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

function findCardsDir(): string {
  for (const candidate of [__dirname, path.resolve(__dirname, '..', '..', 'cards')]) {
    if (fs.existsSync(path.join(candidate, 'welcome.json'))) return candidate;
  }
  throw new Error('cards/ templates not found');
}

/** Folder holding the card templates (cards/*.json), from sources or compiled output. */
export const CARDS_DIR = findCardsDir();

const templates = new Map<string, ACData.Template>();

/** Names of every card template in cards/. */
export function templateNames(): string[] {
  return fs.readdirSync(CARDS_DIR).filter((f) => f.endsWith('.json')).map((f) => path.basename(f, '.json')).sort();
}

/** Reads a template's raw JSON. */
export function readTemplate(name: string): AdaptiveCardJson {
  return JSON.parse(fs.readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8')) as AdaptiveCardJson;
}

/**
 * Expands the template `cards/<name>.json` with typed data.
 * @remarks User text only ever travels in `data`; the templating engine does not evaluate `${…}` found there.
 */
export function renderCard(name: string, data: object): AdaptiveCardJson {
  let template = templates.get(name);
  if (!template) {
    template = new ACData.Template(readTemplate(name));
    templates.set(name, template);
  }
  return template.expand({ $root: data }) as AdaptiveCardJson;
}

/** Wraps a card as a Bot Framework attachment. */
export function cardAttachment(card: AdaptiveCardJson): { contentType: string; content: AdaptiveCardJson } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}
