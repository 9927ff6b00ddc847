import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../bot/app';
import { RequestRepository } from '../../data/requestRepository';
import { translator } from '../../domain/i18n';
import { startTestBot } from '../helpers/bot';
import { browserAvailable, launchChromium, loopbackOnlyContext } from '../helpers/browser';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '../helpers/database';
import { startPlayground, type RunningPlayground } from '../helpers/playground';

/**
 * End-to-end in a Teams-like client: the Microsoft 365 Agents Playground (channel msteams, telemetry off,
 * offline) drives the real bot; Chromium clicks through it. The Playground's client is in en-US, like a Teams
 * client in English: the user first writes « Français », as such a user would.
 * Screenshots of the end of each conversation go to test/artifacts/playground/.
 */

const t = translator('fr');
const en = translator('en');
const WAIT = { timeout: 60_000 };
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts', 'playground');

const run = browserAvailable() ? describe : describe.skip;

run('Microsoft 365 Agents Playground (Teams channel) in Chromium', () => {
  let database: TestDatabaseUrl;
  let app: RunningApp;
  let playground: RunningPlayground;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    database = await createTestDatabaseUrl();
    app = await startTestBot(database.url);
    playground = await startPlayground(`http://127.0.0.1:${app.port}/api/messages`);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
    await app?.stop();
    await database?.drop();
  }, 60_000);

  /** Opens the Playground's personal chat, waits for the bot's welcome card, and switches the conversation to French. */
  async function openChatInFrench(): Promise<Page> {
    const context = await loopbackOnlyContext(browser);
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.goto(playground.url);
    // The welcome card, in whichever language the bot picked from the client's locale.
    await page.getByRole('button', { name: new RegExp(`^(${t('menu.access')}|${en('menu.access')})$`) }).last().waitFor(WAIT);
    await send(page, 'Français');
    await page.getByText(t('language.switched')).last().waitFor(WAIT);
    return page;
  }

  /** Types a message in the Playground's compose box and sends it. */
  async function send(page: Page, text: string): Promise<void> {
    const compose = page.locator('[data-lexical-editor="true"]');
    await compose.click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await page.getByText(text, { exact: true }).last().waitFor(WAIT);
  }

  test('when a user asks « quelles sont les heures de la RAMQ? », then the answer card gives the RAMQ lines with 418 780-4208', async () => {
    const page = await openChatInFrench();
    await send(page, 'quelles sont les heures de la RAMQ?');

    await page.getByText(t('knowledge:hours.title')).last().waitFor(WAIT);
    await page.getByText(/Québec : 418 780-4208/).last().waitFor(WAIT);
    // The tel: button (Action.OpenUrl, which Teams presents as a link).
    await page.getByRole('link', { name: /418 780-4208/ }).last().waitFor(WAIT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'routing-question.png') });
    await page.context().close();
  }, 240_000);

  test('when a physician completes an access intake (triage, form, confirmation), then the reference is shown and the request is filed', async () => {
    const page = await openChatInFrench();
    await page.getByRole('button', { name: t('menu.access') }).last().click();

    // Triage: who the access is for, and whether they have a RAMQ user code.
    await page.getByRole('radio', { name: t('intake:roles.physician') }).last().check(WAIT);
    await page.getByRole('radio', { name: t('intake:triage.codeYes') }).last().check(WAIT);
    await page.getByRole('button', { name: t('intake:actions.continue') }).last().click();

    // Form: the Playground pre-fills name and email from the Teams profile; the user types their own.
    const field = (key: string) => page.getByLabel(t(`intake:fields.${key}`)).last();
    await field('ramqUserCode').waitFor(WAIT);
    await field('lastName').fill('Côté');
    await field('firstName').fill('Hélène');
    await field('ramqUserCode').fill('hcote001');
    await field('practiceLocation').fill('Hôpital de l’Enfant-Jésus');
    await field('email').fill('helene.cote@example.org');
    await page.getByRole('button', { name: t('intake:actions.review') }).last().click();

    // Summary, then confirmation.
    await page.getByText(t('intake:summary.title')).last().waitFor(WAIT);
    await page.getByText('helene.cote@example.org', { exact: true }).last().waitFor(WAIT);
    await page.getByRole('button', { name: t('intake:actions.confirm') }).last().click();

    // The filed card with its reference.
    await page.getByText(t('intake:filed.title')).last().waitFor(WAIT);
    const referenceLine = page.getByText(/DMA-\d{4}-\d{5}/).last();
    await referenceLine.waitFor(WAIT);
    const reference = /DMA-\d{4}-\d{5}/.exec(await referenceLine.innerText())![0];
    await page.screenshot({ path: path.join(ARTIFACTS, 'access-intake.png') });
    await page.context().close();

    const filed = await new RequestRepository(app.db.prisma).findByReference(reference);
    expect(filed).toMatchObject({
      kind: 'access_with_code',
      status: 'submitted',
      requesterRole: 'physician',
      lastName: 'Côté',
      firstName: 'Hélène',
      ramqUserCode: 'hcote001',
      practiceLocation: 'Hôpital de l’Enfant-Jésus',
      email: 'helene.cote@example.org',
    });
  }, 300_000);

  test('when the Playground ran with telemetry off, then it tried to reach nothing beyond the loopback', () => {
    expect(playground.blockedHosts()).toEqual([]);
  });
});
