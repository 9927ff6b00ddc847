import fs from 'node:fs';
import path from 'node:path';
import type * as ACData from 'adaptivecards-templating';
import { compileTemplate, TemplateFallback, UnsupportedTemplateError } from './engine/templateCompiler';

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
/** Compiled templates; `null` when a template uses syntax outside the compiled subset. */
const compiled = new Map<string, ((data: object) => AdaptiveCardJson) | null>();

/** Names of every card template in cards/. */
export function templateNames(): string[] {
  return fs.readdirSync(CARDS_DIR).filter((f) => f.endsWith('.json')).map((f) => path.basename(f, '.json')).sort();
}

/** Reads a template's raw JSON. */
export function readTemplate(name: string): AdaptiveCardJson {
  return JSON.parse(fs.readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8')) as AdaptiveCardJson;
}

/**
 * Expands the template `cards/<name>.json` with `adaptivecards-templating` (the reference engine).
 * @remarks User text only ever travels in `data`; the templating engine does not evaluate `${…}` found there.
 */
export function expandWithLibrary(name: string, data: object): AdaptiveCardJson {
  let template = templates.get(name);
  if (!template) {
    // Loaded on first need only: with every template compiled, the library (and its expression parser) stays out of
    // memory and out of start-up.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Template } = require('adaptivecards-templating') as typeof ACData;
    template = new Template(readTemplate(name));
    templates.set(name, template);
  }
  return template.expand({ $root: data }) as AdaptiveCardJson;
}

/** The compiled form of a template, or null when it uses syntax the compiler leaves to the library. */
export function compiledTemplate(name: string): ((data: object) => AdaptiveCardJson) | null {
  let fn = compiled.get(name);
  if (fn === undefined) {
    try {
      fn = compileTemplate<AdaptiveCardJson>(readTemplate(name));
    } catch (err) {
      if (!(err instanceof UnsupportedTemplateError)) throw err;
      fn = null;
    }
    compiled.set(name, fn);
  }
  return fn;
}

/**
 * Expands the template `cards/<name>.json` with typed data: compiled (see cards/engine/templateCompiler.ts), or with
 * `adaptivecards-templating` when the template or the data leaves the compiled subset. Both give the same card.
 * @remarks User text only ever travels in `data`; neither engine evaluates `${…}` found there.
 */
export function renderCard(name: string, data: object): AdaptiveCardJson {
  const fn = compiledTemplate(name);
  if (fn) {
    try {
      return fn(data);
    } catch (err) {
      if (!(err instanceof TemplateFallback)) throw err;
    }
  }
  return expandWithLibrary(name, data);
}

/** Wraps a card as a Bot Framework attachment. */
export function cardAttachment(card: AdaptiveCardJson): { contentType: string; content: AdaptiveCardJson } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}
