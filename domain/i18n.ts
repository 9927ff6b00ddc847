import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n, type TOptions } from 'i18next';

/** The two languages the bot speaks. French first. */
export type Lang = 'fr' | 'en';
export const LANGS: readonly Lang[] = ['fr', 'en'];

/** Where the locale files live: locales/<lang>/<namespace>.json. */
export const LOCALES_DIR = findLocalesDir();

function findLocalesDir(): string {
  // Works from the sources (domain/) and from the compiled output (dist/domain/).
  for (const candidate of [path.resolve(__dirname, '..', 'locales'), path.resolve(__dirname, '..', '..', 'locales')]) {
    if (fs.existsSync(path.join(candidate, 'fr'))) return candidate;
  }
  throw new Error('locales/ folder not found');
}

/**
 * Maps a Teams/Bot Framework locale to one of our languages.
 * @remarks `fr*` → French, `en*` → English, anything else (or nothing) → the default, French unless configured.
 */
export function resolveLang(locale: string | undefined | null, fallback: Lang = 'fr'): Lang {
  const l = (locale ?? '').trim().toLowerCase();
  if (l.startsWith('fr')) return 'fr';
  if (l.startsWith('en')) return 'en';
  return fallback;
}

/** Reads every locales/<lang>/*.json file as a namespace named after the file. */
export function loadResources(dir: string = LOCALES_DIR): Record<Lang, Record<string, unknown>> {
  const out = { fr: {}, en: {} } as Record<Lang, Record<string, unknown>>;
  for (const lang of LANGS) {
    const langDir = path.join(dir, lang);
    for (const file of fs.readdirSync(langDir).filter((f) => f.endsWith('.json')).sort()) {
      out[lang][path.basename(file, '.json')] = JSON.parse(fs.readFileSync(path.join(langDir, file), 'utf8'));
    }
  }
  return out;
}

let instance: i18n | undefined;

/** The shared i18next instance, initialised synchronously on first use. */
export function getI18n(): i18n {
  if (instance) return instance;
  const resources = loadResources();
  const created = i18next.createInstance();
  void created.init({
    resources,
    lng: 'fr',
    fallbackLng: false,
    supportedLngs: [...LANGS],
    ns: Object.keys(resources.fr),
    defaultNS: 'common',
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  } as Parameters<i18n['init']>[0]);
  instance = created;
  return created;
}

/** A translation function bound to one language. Keys are `namespace:path.to.key` (namespace `common` may be omitted). */
export type Translate = (key: string, options?: TOptions) => string;

const bound = new Map<Lang, Translate>();

/** Most distinct keys remembered per language (the code uses a few hundred; keys built from data stay bounded). */
const MEMO_LIMIT = 5000;

/**
 * Returns the translation function for a language (cached).
 * @remarks A key asked without options always gives the same text (resources are loaded once), so it is
 * remembered: i18next spends ~15 µs per lookup and a card asks for 10–30 of them.
 */
export function translator(lang: Lang): Translate {
  let t = bound.get(lang);
  if (!t) {
    const fixed = getI18n().getFixedT(lang);
    const memo = new Map<string, string>();
    t = (key, options) => {
      if (options !== undefined) return fixed(key, options as TOptions) as string;
      let text = memo.get(key);
      if (text === undefined) {
        text = fixed(key) as string;
        if (memo.size < MEMO_LIMIT) memo.set(key, text);
      }
      return text;
    };
    bound.set(lang, t);
  }
  return t;
}
