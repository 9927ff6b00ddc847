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
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  });

  /** Opens the local chat page in a fresh browser context and sends `text` as the user's first message. */
  async function openAndSay(text: string) {
    const context = await loopbackOnlyContext(browser);
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.waitFor({ timeout: 30_000 });
    await input.fill(text);
    await input.press('Enter');
    return { context, page };
  }

  test('when a newcomer opens the page and types « Bonjour », then the bot answers with its French welcome and menu', async () => {
    const { context, page } = await openAndSay('Bonjour');
    await page.getByText('assistant d’accès au Registre provincial des DMA', { exact: false }).waitFor({ timeout: 30_000 });
    await page.locator('button.ac-pushButton', { hasText: 'Demander un accès' }).waitFor({ timeout: 30_000 });
    await context.close();
  }, 120_000);

  test('when a newcomer\'s first message asks for access, then the welcome and the triage card show in one message, and the triage card works', async () => {
    const { context, page } = await openAndSay('je veux accéder au registre des DMA');
    await page.getByText('assistant d’accès au Registre provincial des DMA', { exact: false }).waitFor({ timeout: 30_000 });
    await page.getByText('Pour moi-même (médecin)').last().waitFor({ timeout: 30_000 });
    // The welcome's menu above, the triage below: two cards, the triage last.
    await expect_count(page.locator('.ac-adaptiveCard'), 2);
    await expect_count(page.locator('.ac-adaptiveCard').first().locator('button.ac-pushButton', { hasText: 'Demander un accès' }), 1);
    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/first-message-welcome.png`, fullPage: true });
    await choose(page, 'Pour moi-même (médecin)');
    await choose(page, 'Oui, elle a déjà un code d’utilisateur RAMQ');
    await page.locator('button.ac-pushButton', { hasText: 'Continuer' }).last().click();
    await expect_count(page.locator('.ac-adaptiveCard').last().locator('input.ac-textInput'), 5);
    await context.close();
  }, 150_000);

  test('when a physician completes an access intake in the page, then the reference is shown', async () => {
    const { context, page } = await openAndSay('Bonjour');
    await page.locator('button.ac-pushButton', { hasText: 'Demander un accès' }).click();

    // Triage: two expanded choice sets, then « Continuer ».
    await choose(page, 'Pour moi-même (médecin)');
    await choose(page, 'Oui, elle a déjà un code d’utilisateur RAMQ');
    await page.locator('button.ac-pushButton', { hasText: 'Continuer' }).last().click();

    // Form: the five text inputs of the newest card, in the card's order.
    const lastCard = page.locator('.ac-adaptiveCard').last();
    await lastCard.locator('input[type="text"], input[type="email"], input:not([type])').first().waitFor({ timeout: 30_000 });
    const fields = lastCard.locator('input.ac-textInput');
    await expect_count(fields, 5);
    const values = ['Côté', 'Hélène', 'hcote001', 'Hôpital de l’Enfant-Jésus', 'helene.cote@example.org'];
    for (let i = 0; i < values.length; i++) await fields.nth(i).fill(values[i]);
    await lastCard.locator('button.ac-pushButton').first().click();

    // Summary, then confirmation.
    await page.getByText('helene.cote@example.org').last().waitFor({ timeout: 30_000 });
    await page.locator('.ac-adaptiveCard').last().locator('button.ac-pushButton').first().click();
    await page.getByText(/DMA-\d{4}-\d{5}/).first().waitFor({ timeout: 30_000 });
    await context.close();
  }, 150_000);
});

/**
 * Picks a choice in the newest card's expanded choice set and makes sure its radio button is checked: a click that
 * lands while Web Chat is still laying out the cards can be lost, and « Continuer » would then send an empty triage.
 */
async function choose(page: import('playwright-core').Page, label: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).last().check({ timeout: 30_000 });
}

async function expect_count(locator: import('playwright-core').Locator, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await locator.count()) !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} inputs, found ${await locator.count()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
