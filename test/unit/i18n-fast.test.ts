import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { getI18n, i18nextTranslator, LANGS, loadResources, translator, type Lang } from '../../domain/i18n';

/** Every leaf and every inner key of a namespace, as `ns:path`. */
function keysOf(ns: string, node: unknown, prefix = ''): string[] {
  const out: string[] = [];
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    if (prefix) out.push(`${ns}:${prefix}`);
    for (const [k, v] of Object.entries(node)) out.push(...keysOf(ns, v, prefix ? `${prefix}.${k}` : k));
  } else out.push(`${ns}:${prefix}`);
  return out;
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const resources = loadResources();

/** Every key of every namespace in both languages, with plural forms also asked by their base key; plus missing keys. */
function allKeys(): string[] {
  const keys = new Set<string>();
  for (const lang of LANGS) {
    for (const [ns, tree] of Object.entries(resources[lang])) {
      for (const key of keysOf(ns, tree)) {
        keys.add(key);
        keys.add(key.replace(PLURAL, ''));
        // The default namespace may be left out.
        if (ns === 'common') keys.add(key.slice('common:'.length));
      }
    }
  }
  keys.add('managers:does.not.exist');
  keys.add('nope');
  return [...keys];
}

/** The variables a key's texts use (any language, any plural form). */
function variablesOf(key: string): string[] {
  const names = new Set<string>();
  for (const lang of LANGS) {
    const [ns, path] = key.includes(':') ? key.split(':', 2) : ['common', key];
    const node = path!.split('.').reduce<unknown>((n, part) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[part] : undefined), resources[lang][ns!]);
    const parent = path!.split('.').slice(0, -1).reduce<unknown>((n, part) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[part] : undefined), resources[lang][ns!]);
    const last = path!.split('.').pop()!;
    const texts = [node, ...Object.entries((parent as Record<string, unknown>) ?? {}).filter(([k]) => k.startsWith(`${last}_`)).map(([, v]) => v)];
    for (const text of texts) for (const m of JSON.stringify(text ?? '').matchAll(/\{\{-?\s*([\w.]+)/g)) names.add(m[1]!);
  }
  return [...names];
}

const TEXTS = ['DMA-2026-00042', '', 'Marie-Ève « Tremblay »', '$t(common:welcome.title)', '{{date}}', '{{- raw}}', 'a}}b', '<b>x</b> & /', ' espace '];
const NUMBERS = [0, 1, 2, 5, 21, 1.5, -1, 0.5, 1e21, Number.NaN];

/** Representative option sets for a key: its variables with strings and numbers, plus the cases i18next decides alone. */
function optionSets(key: string): Record<string, unknown>[] {
  const vars = variablesOf(key);
  const withAll = (value: (name: string, i: number) => unknown) => Object.fromEntries(vars.map((name, i) => [name, value(name, i)]));
  const sets: Record<string, unknown>[] = [];
  TEXTS.forEach((text, k) => sets.push(withAll((name, i) => (name === 'count' ? NUMBERS[(k + i) % NUMBERS.length] : TEXTS[(k + i) % TEXTS.length] ?? text))));
  for (const n of NUMBERS) sets.push(withAll((name) => (name === 'count' ? n : n)));
  for (const n of NUMBERS) sets.push({ ...withAll(() => 'x'), count: n });
  sets.push({});
  sets.push({ count: 3 });
  sets.push({ ...withAll(() => 'v'), extra: 'unused' });
  sets.push({ ...withAll(() => 'v'), lng: LANGS.find((l) => l !== 'fr') });
  sets.push({ ...withAll(() => 'v'), context: 'male' });
  sets.push({ ...withAll(() => 'v'), defaultValue: 'default' });
  sets.push({ ...withAll(() => 'v'), returnObjects: true });
  sets.push({ ...withAll(() => 'v'), count: '2' });
  if (vars.length > 0) {
    sets.push(withAll((_n, i) => (i === 0 ? undefined : 'v')));
    sets.push(withAll((_n, i) => (i === 0 ? null : 'v')));
    sets.push(withAll((_n, i) => (i === 0 ? { a: 1 } : 'v')));
    sets.push(withAll((_n, i) => (i === 0 ? true : 'v')));
    sets.push(withAll((_n, i) => (i === 0 ? ['a', 'b'] : 'v')));
    sets.push(Object.fromEntries(vars.slice(1).map((name) => [name, 'v'])));
  }
  return sets;
}

describe('translations with options: the direct fill against i18next', () => {
  test.each(LANGS)('when every key of every namespace (%s) is asked with representative options, then the text is what i18next gives', (lang: Lang) => {
    const fast = translator(lang);
    const reference = i18nextTranslator(lang);
    let compared = 0;
    const different: unknown[] = [];
    for (const key of allKeys()) {
      for (const options of optionSets(key)) {
        // Twice: the first call compiles, the second fills from the compiled text.
        for (let round = 0; round < 2; round++) {
          const [actual, expected] = [fast(key, { ...options }), reference(key, { ...options })];
          if (!isDeepStrictEqual(actual, expected)) different.push({ key, options, actual, expected });
          compared++;
        }
      }
    }
    expect(different).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
  });

  test.each(LANGS)('when texts with variables are asked with random strings and counts (%s), then the text is what i18next gives', (lang: Lang) => {
    const fast = translator(lang);
    const reference = i18nextTranslator(lang);
    const withVariables = allKeys().filter((key) => variablesOf(key).length > 0);
    expect(withVariables.length).toBeGreaterThan(50);
    fc.assert(
      fc.property(fc.constantFrom(...withVariables), fc.string(), fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.double()), (key, text, count) => {
        const options = Object.fromEntries(variablesOf(key).map((name) => [name, name === 'count' ? count : text]));
        expect(fast(key, { ...options })).toBe(reference(key, { ...options }));
      }),
      { numRuns: 3000 },
    );
  });

  test('when texts use what the direct fill leaves to i18next (nesting, formats, unescaped, object paths, option names, _zero), then the text is still what i18next gives', () => {
    const i18n = getI18n();
    const texts: Record<string, string> = {
      nested: 'Voir $t(common:welcome.title) pour {{reference}}',
      formatted: 'Le {{date, datetime}} pour {{reference}}',
      unescaped: 'Brut {{- reference}} et {{reference}}',
      path: 'Par {{user.name}} ({{reference}})',
      option: 'En {{lng}} : {{reference}}',
      spaced: 'Espacé {{ reference }} fin',
      braces: '{{{reference}}}} et {{ }}',
      items_zero: 'Aucun élément pour {{reference}}',
      items_one: '{{count}} élément pour {{reference}}',
      items_other: '{{count}} éléments pour {{reference}}',
    };
    for (const lang of LANGS) for (const [key, text] of Object.entries(texts)) i18n.addResource(lang, 'common', `fastPathProbe.${key}`, `${lang}: ${text}`);
    const values = [{ reference: 'R-1' }, { reference: 'R-1', date: new Date('2026-03-02T14:05:00Z'), user: { name: 'Luc' } }, { reference: '$t(common:welcome.title)' }, { reference: 'R-3', lng: 'en' }, { reference: 'R-3', lng: 'fr' }];
    for (const lang of LANGS) {
      const fast = translator(lang);
      const reference = i18nextTranslator(lang);
      for (const key of [...Object.keys(texts), 'items']) {
        for (const options of [...values, ...[0, 1, 2, 1.5].map((count) => ({ reference: 'R-2', count }))]) {
          for (let round = 0; round < 2; round++) {
            expect({ key, options, text: fast(`common:fastPathProbe.${key}`, { ...options }) }).toEqual({ key, options, text: reference(`common:fastPathProbe.${key}`, { ...options }) });
          }
        }
      }
    }
  });

  test('when a text with variables is asked again, then i18next is not asked again (the fast path is taken)', () => {
    const t = translator('fr');
    const spy = jest.spyOn(getI18n(), 't');
    try {
      t('managers:card.title', { reference: 'DMA-2026-00001' });
      t('managers:card.reminders', { count: 2 });
      spy.mockClear();
      expect(t('managers:card.title', { reference: 'DMA-2026-00002' })).toContain('DMA-2026-00002');
      expect(t('managers:card.reminders', { count: 3 })).toContain('3');
      expect(spy).not.toHaveBeenCalled();
      // Options the direct fill leaves to i18next.
      t('managers:card.title', { reference: 'DMA-2026-00003', lng: 'en' });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
