import { loadResources, resolveLang, translator } from '../../domain/i18n';

function flatten(obj: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) {
      for (const [kk, vv] of flatten(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
    }
  } else out.set(prefix, obj);
  return out;
}

describe('i18n', () => {
  const resources = loadResources();

  test('when French and English locale files are compared, then they have exactly the same namespaces and keys', () => {
    expect(Object.keys(resources.en).sort()).toEqual(Object.keys(resources.fr).sort());
    const fr = flatten(resources.fr);
    const en = flatten(resources.en);
    const missingInEn = [...fr.keys()].filter((k) => !en.has(k));
    const missingInFr = [...en.keys()].filter((k) => !fr.has(k));
    expect({ missingInEn, missingInFr }).toEqual({ missingInEn: [], missingInFr: [] });
  });

  test('when a string is translated, then no value is empty and interpolation variables match between languages', () => {
    const fr = flatten(resources.fr);
    const en = flatten(resources.en);
    const vars = (s: unknown) => [...String(s).matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();
    for (const [key, value] of fr) {
      expect(typeof value === 'string' || Array.isArray(value)).toBe(true);
      expect(String(value).trim()).not.toBe('');
      expect({ key, vars: vars(en.get(key)) }).toEqual({ key, vars: vars(value) });
    }
  });

  test.each([
    ['fr-CA', 'fr'],
    ['fr-FR', 'fr'],
    ['en-US', 'en'],
    ['en-CA', 'en'],
    ['es-ES', 'fr'],
    [undefined, 'fr'],
    ['', 'fr'],
  ])('when the Teams locale is %s, then the bot speaks %s', (locale, lang) => {
    expect(resolveLang(locale)).toBe(lang);
  });

  test('when a key is translated, then French and English differ', () => {
    expect(translator('fr')('welcome.title')).toMatch(/Registre provincial des DMA/);
    expect(translator('en')('welcome.title')).toMatch(/DMA registry/);
  });
});
