import fs from 'node:fs';
import path from 'node:path';
import { CARDS_DIR, templateNames, type AdaptiveCardJson } from '../../cards/render';
import { translator, type Translate } from '../../domain/i18n';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js');

const TEAMS_MAX_VERSION = 1.5;

/** Checks the parser misses: a TextBlock without text, an Image without url, missing type or version, leftover ${…}. */
function extraProblems(card: AdaptiveCardJson): string[] {
  const problems: string[] = [];
  if (card.type !== 'AdaptiveCard') problems.push('missing type AdaptiveCard');
  if (!card.version) problems.push('missing version');
  if (Number(card.version) > TEAMS_MAX_VERSION) problems.push(`version ${card.version} above Teams' 1.5`);
  const walk = (node: any, where: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (!node || typeof node !== 'object') return;
    if (node.type === 'TextBlock' && (typeof node.text !== 'string' || node.text.trim() === '')) problems.push(`${where}: TextBlock without text`);
    if (node.type === 'Image' && !node.url) problems.push(`${where}: Image without url`);
    if (typeof node.type === 'string' && node.type.startsWith('Action.') && !['Action.OpenUrl', 'Action.ToggleVisibility', 'Action.ShowCard'].includes(node.type)) {
      if (!node.data || typeof node.data.verb !== 'string' && typeof node.verb !== 'string') problems.push(`${where}: action without verb`);
    }
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && /\$\{/.test(v)) problems.push(`${where}.${k}: unexpanded template expression`);
      walk(v, `${where}.${k}`);
    }
  };
  walk(card, '$');
  return problems;
}

function parserErrors(card: AdaptiveCardJson): string[] {
  const context = new AC.SerializationContext(AC.Version.parse(card.version));
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  const errors: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    errors.push(`${e.phase}/${e.event}: ${e.message}`);
  }
  for (const f of parsed.validateProperties().failures ?? []) {
    for (const e of f.errors) errors.push(`validation: ${e.message}`);
  }
  return errors;
}

type SampleModule = { samples?: (t: Translate) => AdaptiveCardJson[] };

const builderModules = fs
  .readdirSync(CARDS_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'render.ts' && !f.endsWith('.d.ts'))
  .map((f) => path.basename(f, '.ts'));

describe('card templates', () => {
  test('when the cards folder is listed, then every template has a typed builder with samples', () => {
    for (const name of templateNames()) {
      expect(builderModules).toContain(name);
    }
  });

  for (const mod of builderModules) {
    for (const lang of ['fr', 'en'] as const) {
      test(`when ${mod} samples are rendered in ${lang}, then the official parser accepts them at their declared version`, () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(path.join(CARDS_DIR, mod)) as SampleModule;
        expect(typeof m.samples).toBe('function');
        const cards = m.samples!(translator(lang));
        expect(cards.length).toBeGreaterThan(0);
        for (const card of cards) {
          expect({ mod, problems: [...parserErrors(card), ...extraProblems(card)] }).toEqual({ mod, problems: [] });
        }
      });
    }
  }

  test('when a card is broken, then these checks report it (the checks can fail)', () => {
    const broken = { type: 'AdaptiveCard', version: '1.6', body: [{ type: 'TextBlock' }, { type: 'Image' }, { type: 'Nonsense' }] } as AdaptiveCardJson;
    const problems = [...parserErrors(broken), ...extraProblems(broken)];
    expect(problems.join('\n')).toMatch(/TextBlock without text/);
    expect(problems.join('\n')).toMatch(/Image without url/);
    expect(problems.join('\n')).toMatch(/above Teams/);
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });
});
