import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../bot/app';
import { browserAvailable, launchChromium, loopbackOnlyContext } from '../helpers/browser';
import { startTestBot } from '../helpers/bot';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '../helpers/database';

const run = browserAvailable() ? describe : describe.skip;

run('local chat page in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let database: TestDatabaseUrl;

  beforeAll(async () => {
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url, { LOCAL_CHAT: 'true', DIRECTLINE_PORT: '0' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  });

  test('when a newcomer opens the page and types « Bonjour », then the bot answers with its French welcome and menu', async () => {
    const context = await loopbackOnlyContext(browser);
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.waitFor({ timeout: 20_000 });
    await input.fill('Bonjour');
    await input.press('Enter');
    await page.getByText('assistant d’accès au Registre provincial des DMA', { exact: false }).waitFor({ timeout: 20_000 });
    await page.locator('button.ac-pushButton', { hasText: 'Demander un accès' }).waitFor({ timeout: 5_000 });
    await context.close();
  }, 60_000);
});
