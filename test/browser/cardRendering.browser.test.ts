import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CARDS_DIR, type AdaptiveCardJson } from '../../cards/render';
import { translator, type Translate } from '../../domain/i18n';
import { browserAvailable, launchChromium, loopbackOnlyContext } from '../helpers/browser';
import { renderInPage, startCardPageServer, type CardPageServer, type CardRendering } from '../helpers/cardPage';

/**
 * Renders every card sample with the official `adaptivecards` renderer and Teams' light host config in
 * Chromium, at a phone's width, and writes a screenshot of each to test/artifacts/cards/<name>-<lang>-<i>.png.
 */

const PHONE_VIEWPORT = { width: 400, height: 800 };
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts', 'cards');

type SampleModule = { samples?: (t: Translate) => AdaptiveCardJson[] };

const builderModules = fs
  .readdirSync(CARDS_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'render.ts' && !f.endsWith('.d.ts'))
  .map((f) => path.basename(f, '.ts'))
  .sort();

/** Text as the renderer shows it, for comparison: markdown links, list markers and emphasis removed, no whitespace. */
function comparable(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s*(\d+\.|[-+*])(\s+|$)/gm, '')
    .replace(/[*_`#>]/g, '')
    .replace(/\s+/g, '');
}

/** Texts a reader must see on the card: TextBlocks, TextRuns, labels, toggles, facts, action titles; choice titles apart. */
function expectedTexts(card: AdaptiveCardJson): { visible: string[]; choices: string[] } {
  const visible: string[] = [];
  // Choice titles are in the page but not shown as text. What an Action.ShowCard holds is rendered only
  // once opened: it is not expected here (the parser test in test/unit/cards.test.ts still validates it).
  const choices: string[] = [];
  const unopened: string[] = [];
  const walk = (node: unknown, hidden: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, hidden));
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const into = hidden ? unopened : visible;
    if ((n.type === 'TextBlock' || n.type === 'TextRun') && typeof n.text === 'string') into.push(n.text);
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && typeof n.label === 'string') into.push(n.label);
    if (n.type === 'Input.Toggle' && typeof n.title === 'string') into.push(n.title);
    if (typeof n.type === 'string' && n.type.startsWith('Action.') && typeof n.title === 'string') into.push(n.title);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as { title: string; value: string }[]) into.push(f.title, f.value);
    if (n.type === 'Input.ChoiceSet' && Array.isArray(n.choices)) for (const c of n.choices as { title: string }[]) choices.push(c.title);
    for (const [key, value] of Object.entries(n)) {
      if (key === 'choices' || key === 'facts') continue;
      walk(value, hidden || (n.type === 'Action.ShowCard' && key === 'card'));
    }
  };
  walk(card, false);
  return { visible, choices };
}

/** Expected texts the rendering does not show. */
function missingTexts(card: AdaptiveCardJson, rendering: CardRendering): string[] {
  const shown = comparable(rendering.text);
  const all = comparable(rendering.allText);
  const { visible, choices } = expectedTexts(card);
  return [...visible.filter((text) => !shown.includes(comparable(text))), ...choices.filter((text) => !all.includes(comparable(text)))];
}

const run = browserAvailable() ? describe : describe.skip;

run('cards rendered in Chromium with the Teams light host config at phone width', () => {
  let server: CardPageServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startCardPageServer();
    browser = await launchChromium();
    const context = await loopbackOnlyContext(browser);
    page = await context.newPage();
    await page.setViewportSize(PHONE_VIEWPORT);
    await page.goto(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const name of builderModules) {
    for (const lang of ['fr', 'en'] as const) {
      test(`when the ${name} samples are rendered in ${lang}, then each shows all its text without renderer or layout errors and its screenshot is written`, async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const cards = (require(path.join(CARDS_DIR, name)) as SampleModule).samples!(translator(lang));
        expect(cards.length).toBeGreaterThan(0);
        const outcomes = [];
        for (const [i, card] of cards.entries()) {
          const rendering = await renderInPage(page, card);
          await page.locator('#host').screenshot({ path: path.join(ARTIFACTS, `${name}-${lang}-${i}.png`) });
          outcomes.push({ card: `${name}-${lang}-${i}`, problems: rendering.problems, missing: missingTexts(card, rendering), shown: rendering.text.trim().length > 0 && rendering.height > 40 });
        }
        expect(outcomes).toEqual(outcomes.map(({ card }) => ({ card, problems: [], missing: [], shown: true })));
      }, 60_000);
    }
  }

  test('when a card is broken, too wide, hard to read or missing its text, then the rendering reports it (the checks can fail)', async () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'Nonsense' },
        { type: 'TextBlock', text: 'Texte caché', isVisible: false },
        { type: 'TextBlock', text: 'Avertissement en jaune', color: 'Warning', wrap: true },
        { type: 'TextBlock', text: 'Un titre beaucoup trop long pour tenir sur une seule ligne dans un téléphone sans retour', wrap: false },
        { type: 'ColumnSet', columns: [{ type: 'Column', width: '900px', items: [{ type: 'TextBlock', text: 'Colonne' }] }] },
      ],
      actions: [{ type: 'Action.Submit', title: 'Un bouton dont le titre est beaucoup trop long pour un téléphone', data: { verb: 'x' } }],
    } as AdaptiveCardJson;
    const rendering = await renderInPage(page, broken);
    const report = rendering.problems.join('\n');
    expect(report).toMatch(/^parse: /m);
    expect(report).toMatch(/text cut off: .*Un titre beaucoup trop long/);
    expect(report).toMatch(/text cut off: .*Un bouton/);
    expect(report).toMatch(/overflows the card/);
    expect(report).toMatch(/contrast: 1\.\d:1 below WCAG AA: .*Avertissement en jaune/);
    expect(missingTexts(broken, rendering)).toEqual(['Texte caché']);
  }, 60_000);
});
