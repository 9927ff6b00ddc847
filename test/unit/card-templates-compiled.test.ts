import fs from 'node:fs';
import path from 'node:path';
import * as render from '../../cards/render';
import { compileTemplate, TemplateFallback, UnsupportedTemplateError } from '../../cards/engine/templateCompiler';
import { translator, type Translate } from '../../domain/i18n';

type SampleModule = { samples?: (t: Translate) => render.AdaptiveCardJson[] };

const builderModules = fs
  .readdirSync(render.CARDS_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'render.ts' && !f.endsWith('.d.ts'))
  .map((f) => path.basename(f, '.ts'));

/** Every (template, data) the card builders render for their samples, in both languages. */
function sampleRenders(): { name: string; data: object }[] {
  const calls: { name: string; data: object }[] = [];
  const spy = jest.spyOn(render, 'renderCard').mockImplementation((name: string, data: object) => {
    calls.push({ name, data });
    return render.expandWithLibrary(name, data);
  });
  try {
    for (const mod of builderModules) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require(path.join(render.CARDS_DIR, mod)) as SampleModule;
      for (const lang of ['fr', 'en'] as const) m.samples?.(translator(lang));
    }
  } finally {
    spy.mockRestore();
  }
  return calls;
}

describe('compiled card templates', () => {
  test('when every template is compiled, then none needs the library', () => {
    for (const name of render.templateNames()) {
      expect({ name, compiled: render.compiledTemplate(name) !== null }).toEqual({ name, compiled: true });
    }
  });

  test('when the card samples are rendered, then the compiled templates give exactly the cards adaptivecards-templating gives', () => {
    const renders = sampleRenders();
    expect(renders.length).toBeGreaterThan(20);
    for (const { name, data } of renders) {
      const compiled = render.compiledTemplate(name)!;
      expect({ name, card: compiled(data) }).toEqual({ name, card: render.expandWithLibrary(name, data) });
    }
  });

  test('when user text contains ${…}, then it is shown as typed, not evaluated', () => {
    const fn = compileTemplate<any>({ type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: '${name}' }] });
    expect(fn({ name: '${$root.secret}' }).body[0].text).toBe('${$root.secret}');
  });

  test('when $data and $when are used, then elements repeat per item and hidden ones are dropped, keys in template order', () => {
    const fn = compileTemplate<any>({
      type: 'AdaptiveCard',
      body: [
        { $data: '${rows}', type: 'TextBlock', text: '${label}', id: '${$root.cardId}' },
        { $when: "${note != ''}", type: 'TextBlock', text: '${note}' },
        { $when: '${flag}', type: 'TextBlock', text: 'shown' },
      ],
    });
    expect(fn({ rows: [{ label: 'a' }, { label: 'b' }], cardId: 'c1', note: '', flag: true }).body).toEqual([
      { type: 'TextBlock', text: 'a', id: 'c1' },
      { type: 'TextBlock', text: 'b', id: 'c1' },
      { type: 'TextBlock', text: 'shown' },
    ]);
  });

  test('when a template uses syntax outside the subset or the data lacks a path, then the library takes over', () => {
    expect(() => compileTemplate({ text: 'Bonjour ${name}' })).toThrow(UnsupportedTemplateError);
    expect(() => compileTemplate({ text: '${if(a, b, c)}' })).toThrow(UnsupportedTemplateError);
    expect(() => compileTemplate({ text: '${missing}' })({})).toThrow(TemplateFallback);
    const card = render.renderCard('welcome', {} as object);
    expect(card).toEqual(render.expandWithLibrary('welcome', {}));
  });
});
