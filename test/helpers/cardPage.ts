import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const packageDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));

/** Files the card page loads, all from this checkout: the official renderer, markdown-it, Teams' light host config. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/adaptivecards.min.js': { file: path.join(packageDir('adaptivecards'), 'dist', 'adaptivecards.min.js'), type: 'text/javascript' },
  '/markdown-it.min.js': { file: path.join(packageDir('markdown-it'), 'dist', 'markdown-it.min.js'), type: 'text/javascript' },
  '/teams-light-host-config.json': { file: path.join(FIXTURES, 'teams-light-host-config.json'), type: 'application/json' },
  '/teams-cards.css': { file: path.join(FIXTURES, 'teams-cards.css'), type: 'text/css' },
};

/**
 * The page: `window.renderCard(card)` parses a card with the official renderer at the card's own version,
 * renders it into `#host` with markdown-it for TextBlock markdown, and reports what went wrong.
 */
const PAGE = `<!doctype html>
<html lang="fr-CA">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/teams-cards.css">
<script src="/markdown-it.min.js"></script>
<script src="/adaptivecards.min.js"></script>
</head>
<body>
<div id="host"></div>
<script>
window.hostConfigReady = fetch('/teams-light-host-config.json').then((r) => r.json()).then((json) => { window.hostConfigJson = json; });
window.renderCard = function (card) {
  const host = document.getElementById('host');
  host.innerHTML = '';
  const adaptiveCard = new AdaptiveCards.AdaptiveCard();
  adaptiveCard.hostConfig = new AdaptiveCards.HostConfig(window.hostConfigJson);
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Version.parse(card.version));
  adaptiveCard.parse(card, context);
  const problems = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    problems.push('parse: ' + e.message);
  }
  const element = adaptiveCard.render();
  if (!element) return { problems: problems.concat('render: the renderer returned nothing'), text: '', allText: '', width: 0, height: 0 };
  host.appendChild(element);
  const box = host.getBoundingClientRect();
  const describe = (el) => (el.className || el.tagName) + ' « ' + (el.innerText || el.value || '').trim().slice(0, 60) + ' »';
  for (const el of host.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > box.right + 1 || r.left < box.left - 1) problems.push('layout: overflows the card: ' + describe(el));
  }
  for (const el of host.querySelectorAll('*')) {
    const overflowX = getComputedStyle(el).overflowX;
    const clips = overflowX === 'hidden' || overflowX === 'clip';
    if (clips && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) problems.push('layout: text cut off: ' + describe(el));
  }
  for (const el of host.querySelectorAll('*')) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
    if (!ownText || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    const ratio = contrastRatio(style.color, backgroundOf(el));
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push('contrast: ' + ratio.toFixed(1) + ':1 below WCAG AA: ' + describe(el));
  }
  return { problems: [...new Set(problems)], text: host.innerText, allText: host.textContent, width: box.width, height: box.height };
};

function parseColor(css) {
  const m = css.match(/rgba?\\(([^)]+)\\)/);
  const [r, g, b, a] = m ? m[1].split(',').map(Number) : [0, 0, 0, 1];
  return { r, g, b, a: a === undefined || Number.isNaN(a) ? 1 : a };
}
function over(top, bottom) {
  const mix = (x, y) => x * top.a + y * (1 - top.a);
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a: 1 };
}
/** The opaque colour behind an element: its ancestors' backgrounds composited over white. */
function backgroundOf(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) layers.push(parseColor(getComputedStyle(e).backgroundColor));
  return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
}
function luminance({ r, g, b }) {
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
/** WCAG contrast ratio of a text colour (alpha composited) over an opaque background. */
function contrastRatio(color, background) {
  const fg = over(parseColor(color), background);
  const [hi, lo] = [luminance(fg), luminance(background)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
</script>
</body>
</html>`;

/** A running loopback server for the card page. */
export interface CardPageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the card page and its assets on 127.0.0.1 (a free port). */
export async function startCardPageServer(): Promise<CardPageServer> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    const asset = ASSETS[pathname];
    if (!asset) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': asset.type });
    fs.createReadStream(asset.file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What rendering one card produced. */
export interface CardRendering {
  /** Parse events, renderer failures, and layout defects (overflow, text cut off). */
  problems: string[];
  /** The card's visible text (`innerText`). */
  text: string;
  /** All text, hidden included (`textContent`), e.g. the options of a compact choice set. */
  allText: string;
  width: number;
  height: number;
}

/** Renders a card in the page opened on the card page server. */
export async function renderInPage(page: Page, card: object): Promise<CardRendering> {
  await page.evaluate(() => (window as unknown as { hostConfigReady: Promise<void> }).hostConfigReady);
  return page.evaluate((c) => (window as unknown as { renderCard(card: object): CardRendering }).renderCard(c), card);
}
