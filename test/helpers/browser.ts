import fs from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Whether browser tests can run here; under CI=true a missing Chromium is an error, not a skip. */
export function browserAvailable(): boolean {
  const present = fs.existsSync(CHROMIUM_PATH);
  if (!present && process.env.CI === 'true') {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: browser tests must run in CI (apt-get install -y chromium)`);
  }
  if (!present) {
    // eslint-disable-next-line no-console
    console.warn(`Skipping browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium to run them).`);
  }
  return present;
}

/** Launches Debian's Chromium headless with the flags this machine needs. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A browser context in which every request that is not to the loopback is refused. */
export async function loopbackOnlyContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'fr-CA' });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || route.request().url().startsWith('data:')) return route.continue();
    return route.abort();
  });
  return context;
}
