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
 * A resource string compiled for direct interpolation: literal text and variable names alternating
 * (`parts[0]`, name, `parts[2]`, name, …). `names` are the variables the text uses.
 */
interface Compiled {
  parts: string[];
  names: Set<string>;
}

/** i18next's interpolation pattern (`{{name}}`, default prefix and suffix). */
const PLACEHOLDER = /\{\{(.+?)\}\}/g;
/** A variable the fast path fills: a plain name (no object path, no format, no unescape prefix). */
const PLAIN_NAME = /^\w+$/;
/**
 * Names i18next reads as options, or adds to the interpolation data itself (getFixedT adds lng, lngs, ns, keyPrefix):
 * a text using one of them as a variable is left to i18next.
 */
const RESERVED_NAMES = new Set([
  'lng', 'lngs', 'ns', 'keyPrefix', 'context', 'ordinal', 'replace', 'interpolation', 'returnObjects', 'returnDetails', 'joinArrays',
  'keySeparator', 'nsSeparator', 'skipInterpolation', 'postProcess', 'applyPostProcessor', 'nest', 'fallbackLng', 'missingInterpolationHandler',
  'appendNamespaceToCIMode', 'missingKeyNoValueFallbackToKey', 'i18nResolved', 'defaultValue',
]);

/**
 * Compiles a resource string the fast path can fill exactly as i18next would (our settings: escapeValue false,
 * skipOnVariables true, no formatter, no post-processor); undefined for anything else: nesting (`$t(`), unescaped
 * (`{{-`) or formatted (`{{x, f}}`) variables, object paths, reserved names.
 */
function compile(text: string): Compiled | undefined {
  if (text.includes('$t(') || text.includes('{{-')) return undefined;
  const parts: string[] = [];
  const names = new Set<string>();
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1]!.trim();
    if (!PLAIN_NAME.test(name) || RESERVED_NAMES.has(name) || name.startsWith('defaultValue')) return undefined;
    parts.push(text.slice(last, match.index), name);
    names.add(name);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, names };
}

/**
 * Fills a compiled text with the call's options, or returns undefined when i18next must decide: an option the text
 * does not use (other than `count`, which chose the plural form), or a variable that is missing or not a string or
 * a number (i18next's rules for those: empty, left as is, or stringified objects).
 */
function fill(compiled: Compiled, options: Record<string, unknown>): string | undefined {
  for (const name in options) {
    if (name !== 'count' && !compiled.names.has(name)) return undefined;
  }
  const parts = compiled.parts;
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!;
    if (!Object.prototype.hasOwnProperty.call(options, name)) return undefined;
    const value = options[name];
    if (typeof value === 'string') out += value;
    else if (typeof value === 'number') out += `${value}`;
    else return undefined;
    out += parts[i + 1]!;
  }
  return out;
}

/** What i18next's pluralResolver selects for a count (`_one`, `_other`…), with the same Intl rules, built once per language. */
const pluralRules = new Map<Lang, Intl.PluralRules>();

function pluralSuffix(lang: Lang, count: number): string {
  let rules = pluralRules.get(lang);
  if (!rules) {
    rules = new Intl.PluralRules(lang, { type: 'cardinal' });
    pluralRules.set(lang, rules);
  }
  return `_${rules.select(count)}`;
}

/**
 * The text i18next resolves for a key (with a count: for that count's plural form), compiled; null when the fast
 * path cannot take it (missing key, an object or array, a text i18next must interpolate itself).
 */
function resolveCompiled(lang: Lang, key: string, count: number | undefined): Compiled | null {
  const i18n = getI18n();
  const details = i18n.t(key, { lng: lang, skipInterpolation: true, returnDetails: true, ...(count === undefined ? {} : { count }) } as TOptions) as unknown as {
    res: unknown;
    usedLng?: string;
    usedNS?: string;
    exactUsedKey?: string;
  };
  if (typeof details?.res !== 'string' || !details.usedLng || !details.usedNS || !details.exactUsedKey) return null;
  // Found, not the key given back for a missing one.
  if (i18n.getResource(details.usedLng, details.usedNS, details.exactUsedKey) !== details.res) return null;
  return compile(details.res) ?? null;
}

/**
 * Returns the translation function for a language (cached).
 * @remarks A key asked without options always gives the same text (resources are loaded once), so it is
 * remembered: i18next spends ~15 µs per lookup and a card asks for 10–30 of them. A key asked with variables
 * (and a numeric `count` for plurals) is resolved by i18next once per key and plural form, then filled directly
 * (~30 µs → ~1 µs); anything the direct fill does not reproduce exactly goes to i18next (see {@link fill}).
 */
export function translator(lang: Lang): Translate {
  let t = bound.get(lang);
  if (!t) {
    const fixed = getI18n().getFixedT(lang);
    const memo = new Map<string, string>();
    const compiled = new Map<string, Compiled | null>();
    const fast = (key: string, options: Record<string, unknown>): string | undefined => {
      if (typeof key !== 'string' || options === null || typeof options !== 'object' || Array.isArray(options)) return undefined;
      let count: number | undefined;
      let slot = key;
      if ('count' in options) {
        if (typeof options.count !== 'number') return undefined;
        count = options.count;
        // i18next's lookup for a count depends on its plural form, and on whether it is 0 (`_zero` is tried first).
        slot = `${key}\u0000${pluralSuffix(lang, count)}${count === 0 ? '\u00000' : ''}`;
      }
      let entry = compiled.get(slot);
      if (entry === undefined) {
        entry = resolveCompiled(lang, key, count);
        if (compiled.size < MEMO_LIMIT) compiled.set(slot, entry);
      }
      return entry ? fill(entry, options) : undefined;
    };
    t = (key, options) => {
      if (options !== undefined) return fast(key, options as Record<string, unknown>) ?? (fixed(key, options as TOptions) as string);
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

/** i18next itself, bound to a language, without the fast paths (for tests that compare both). */
export function i18nextTranslator(lang: Lang): Translate {
  const fixed = getI18n().getFixedT(lang);
  return (key, options) => fixed(key, options as TOptions) as string;
}
