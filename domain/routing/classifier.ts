import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { containerBootstrap } from '@nlpjs/core';
import { Nlp } from '@nlpjs/nlp';
import { LangFr } from '@nlpjs/lang-fr';
import { LangEn } from '@nlpjs/lang-en';
import { LANGS, type Lang } from '../i18n';
import { isRouteId, type RouteId } from './routes';
import frTraining from './training/fr.json';
import enTraining from './training/en.json';

/** Training utterances of one language: route id → example messages. */
export type TrainingSet = Partial<Record<RouteId, string[]>>;

/** The training files shipped in domain/routing/training/, one per language. */
export const TRAINING_SETS: Record<Lang, TrainingSet> = { fr: frTraining, en: enTraining };

/**
 * Below this score (NLP.js normalised confidence, 0–1) a message is routed to `unknown`.
 * @remarks Chosen by 5-fold cross-validation on the training files: at 0.5 almost no right answer is lost;
 * every step above it loses more right answers than it catches off-topic messages (those are mostly caught by
 * the `unknown` training examples and by NLP.js returning no intent when no word is known).
 */
export const CONFIDENCE_THRESHOLD = 0.5;

/** Messages are cut to this many characters before classification (a routing decision needs no more). */
const MAX_CHARS = 400;

/** What the router decided for one message. */
export interface RouteDecision {
  route: RouteId;
  /** Confidence of the chosen route (0 when nothing was recognised). */
  score: number;
  /** The language whose model won, i.e. the language the user most likely wrote in. */
  lang: Lang;
}

interface NlpClassification {
  intent: string;
  score: number;
}
interface NlpResult {
  intent?: string;
  score?: number;
  classifications: NlpClassification[];
}
interface NeuralNlu {
  cache?: unknown;
  features: Record<string, number>;
  prepare(text: string): Promise<Record<string, number>>;
  spellCheck: SpellCheck;
}
interface SpellCheck {
  check(tokens: Record<string, number>, distance: number): Record<string, number>;
  checkToken(token: string, distance: number): string;
}
interface NlpEngine {
  settings: Record<string, unknown>;
  addLanguage(locales: string[]): void;
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<unknown>;
  toJSON(): unknown;
  fromJSON(json: unknown): void;
  classify(locale: string, utterance: string): Promise<NlpResult>;
  nluManager: { domainManagers: Record<string, { domains: Record<string, NeuralNlu> }> };
}

/**
 * Folds a message for matching: accents and case removed, typographic apostrophes and hyphens
 * normalised, any e-mail address replaced by the words "e-mail address" of the language.
 */
export function foldText(text: string, lang: Lang): string {
  const emailWords = lang === 'fr' ? 'adresse courriel' : 'email address';
  return text
    .slice(0, MAX_CHARS)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .split(/\s+/)
    .map((token) => (token.includes('@') ? emailWords : token.replace(/-/g, ' ')))
    .join(' ')
    .trim();
}

/** NLP.js memoises every text it has prepared for an hour; clear it this often to keep memory flat under load. */
const CACHE_RESET_EVERY = 5000;

/** Spell-check corrections remembered per language before the memo starts again (a word and its correction each). */
export const SPELL_MEMO_LIMIT = 5_000;

/**
 * Remembers the spell check's correction of each token: NLP.js compares an unknown token with every vocabulary word of
 * about its length (Levenshtein), and does it three times per message (the two languages' coverage, then the chosen
 * model's classification), for words that recur from one message to the next.
 * @remarks Exact: a correction depends only on the token, the distance and the vocabulary, which is fixed once the
 * model is trained or loaded (the memo is set up after that). Bounded: it starts again empty after `limit` entries.
 */
export function memoiseSpellCheck(spellCheck: SpellCheck, limit = SPELL_MEMO_LIMIT): void {
  const correct = spellCheck.checkToken.bind(spellCheck);
  const memo = new Map<string, string>();
  spellCheck.checkToken = (token: string, distance: number): string => {
    const key = `${distance}\u0000${token}`;
    let corrected = memo.get(key);
    if (corrected === undefined) {
      corrected = correct(token, distance);
      if (memo.size >= limit) memo.clear();
      memo.set(key, corrected);
    }
    return corrected;
  };
}

/** A trained two-language router. Use {@link getRouter} rather than building one per message. */
export class Router {
  private calls = 0;

  private constructor(
    private readonly nlp: NlpEngine,
    /** Scores below this give `unknown`. */
    readonly threshold: number,
  ) {
    for (const lang of LANGS) memoiseSpellCheck(this.nluOf(lang).spellCheck);
  }

  /** Trains NLP.js on the given training sets (deterministic: same data, same model). */
  static async train(sets: Record<Lang, TrainingSet> = TRAINING_SETS, threshold = CONFIDENCE_THRESHOLD): Promise<Router> {
    const nlp = await createEngine();
    for (const [lang, route, folded] of trainingDocuments(sets)) nlp.addDocument(lang, folded, route);
    await nlp.train();
    return new Router(nlp, threshold);
  }

  /**
   * The trained model, to be loaded by {@link Router.fromModel} instead of training again.
   * @param sets the training sets the router was trained on: their fingerprint goes with the model.
   */
  toModel(sets: Record<Lang, TrainingSet> = TRAINING_SETS): RouterModel {
    return { fingerprint: modelFingerprint(sets), nlp: this.nlp.toJSON() };
  }

  /**
   * A router from a model {@link Router.toModel} saved, when that model was trained on these training sets with this
   * version of NLP.js and these settings (its fingerprint says so); undefined otherwise: train then.
   */
  static async fromModel(model: unknown, sets: Record<Lang, TrainingSet> = TRAINING_SETS, threshold = CONFIDENCE_THRESHOLD): Promise<Router | undefined> {
    const saved = model as Partial<RouterModel> | null;
    if (!saved || typeof saved !== 'object' || saved.fingerprint !== modelFingerprint(sets) || !saved.nlp) return undefined;
    const nlp = await createEngine();
    nlp.fromJSON(saved.nlp);
    return new Router(nlp, threshold);
  }

  /**
   * Classifies one message with the model of the language it is written in.
   * @remarks The language is the one whose training vocabulary covers more of the message's words (function words
   * included, after spell-check); on a tie the hint wins, then French. NLP.js scores are relative to the chosen
   * model, so comparing two models' scores would not tell the language.
   */
  async classify(text: string, langHint?: Lang): Promise<RouteDecision> {
    this.limitCache();
    const lang = await this.detectLang(text, langHint);
    const folded = foldText(text, lang);
    if (!folded) return { route: 'unknown', score: 0, lang };
    const result = await this.nlp.classify(lang, folded);
    const top = result.classifications[0];
    if (!top || result.intent === 'None' || !isRouteId(top.intent)) return { route: 'unknown', score: 0, lang };
    if (top.score < this.threshold) return { route: 'unknown', score: top.score, lang };
    return { route: top.intent, score: top.score, lang };
  }

  /** Share (0–1) of the message's tokens that the language's model knows. */
  async coverage(text: string, lang: Lang): Promise<number> {
    const nlu = this.nluOf(lang);
    const folded = foldText(text, lang);
    if (!folded) return 0;
    const tokens = Object.keys(nlu.spellCheck.check(await nlu.prepare(folded), 1));
    if (tokens.length === 0) return 0;
    return tokens.filter((token) => nlu.features[token]).length / tokens.length;
  }

  private async detectLang(text: string, langHint?: Lang): Promise<Lang> {
    const order: Lang[] = langHint === 'en' ? ['en', 'fr'] : ['fr', 'en'];
    const [first, second] = await Promise.all(order.map((lang) => this.coverage(text, lang)));
    return second! > first! ? order[1]! : order[0]!;
  }

  private nluOf(lang: Lang): NeuralNlu {
    // NLP.js keeps one neural NLU per language under its default domain, 'master_domain'.
    const nlu = this.nlp.nluManager.domainManagers[lang]?.domains.master_domain;
    if (!nlu) throw new Error(`no trained model for ${lang}`);
    return nlu;
  }

  private limitCache(): void {
    this.calls += 1;
    if (this.calls % CACHE_RESET_EVERY !== 0) return;
    for (const manager of Object.values(this.nlp.nluManager.domainManagers)) {
      for (const nlu of Object.values(manager.domains)) nlu.cache = undefined;
    }
  }
}

/** NLP.js with our settings and both languages, untrained. */
async function createEngine(): Promise<NlpEngine> {
  const container = await containerBootstrap();
  // Our defaults for every language's NLU: spell-check tokens against the vocabulary, no training log.
  container.registerConfiguration('nlu-??', NLU_SETTINGS, true);
  container.use(Nlp);
  container.use(LangFr);
  container.use(LangEn);
  const nlp = container.get<NlpEngine>('nlp');
  nlp.settings.autoSave = false;
  nlp.settings.autoLoad = false;
  nlp.addLanguage([...LANGS]);
  return nlp;
}

const NLU_SETTINGS = { keepStopwords: true, nonefeatureValue: 1, nonedeltaMultiplier: 1.2, spellCheck: true, spellCheckDistance: 1, filterZeros: true, log: false };

/** What training feeds NLP.js: [language, route, folded utterance], in order. */
function trainingDocuments(sets: Record<Lang, TrainingSet>): [Lang, RouteId, string][] {
  const documents: [Lang, RouteId, string][] = [];
  for (const lang of LANGS) {
    for (const [route, utterances] of Object.entries(sets[lang])) {
      if (!isRouteId(route)) throw new Error(`training/${lang}.json: unknown route id "${route}"`);
      for (const utterance of utterances ?? []) documents.push([lang, route, foldText(utterance, lang)]);
    }
  }
  return documents;
}

/** A trained model as saved: the NLP.js model, and what it was trained from. */
export interface RouterModel {
  fingerprint: string;
  nlp: unknown;
}

/** NLP.js packages whose code shapes a model: a different version trains again. */
const NLPJS_PACKAGES = ['@nlpjs/core', '@nlpjs/nlp', '@nlpjs/nlu', '@nlpjs/neural', '@nlpjs/lang-fr', '@nlpjs/lang-en', '@nlpjs/similarity'];

/**
 * What a model depends on: the documents training feeds NLP.js (folded, so a change to {@link foldText} counts too),
 * our NLU settings and the NLP.js versions.
 */
export function modelFingerprint(sets: Record<Lang, TrainingSet>): string {
  const versions = NLPJS_PACKAGES.map((name) => {
    try {
      return `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
    } catch {
      return `${name}@?`;
    }
  });
  return createHash('sha256').update(JSON.stringify({ documents: trainingDocuments(sets), settings: NLU_SETTINGS, versions })).digest('hex');
}

/**
 * Where `npm run build` saves the trained model (scripts/router-model.ts), next to the compiled router. Absent when the
 * sources run directly (tests, `npm run dev`): the router trains then.
 */
export const ROUTER_MODEL_FILE = path.join(__dirname, 'router-model.json');

/** The router from the model saved at build time if it still matches the training sets, else trained now. */
export async function loadOrTrain(file = ROUTER_MODEL_FILE): Promise<Router> {
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return Router.train();
  }
  return (await Router.fromModel(saved)) ?? Router.train();
}

let shared: Promise<Router> | undefined;

/**
 * The process-wide router: loaded from the model `npm run build` saved (~30 ms), or trained on first use when there
 * is none or it no longer matches (a few hundred milliseconds, once).
 */
export function getRouter(): Promise<Router> {
  shared ??= loadOrTrain().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
