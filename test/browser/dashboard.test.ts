/**
 * A person in headless Chromium (Debian's chromium, driven by playwright-core): connect a sandbox vehicle through
 * the dashboard, see its odometer, lock it, disconnect it. Also checks that no script-visible storage holds a
 * token.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Chromium with the flags this machine needs, closed after the test; undefined (test skipped) without it. */
async function launchChromium(t: TestContext) {
  if (!existsSync(CHROMIUM)) {
    t.skip(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser test`,
    );
    return undefined;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  return browser;
}

test('connect, read the odometer, lock and disconnect in a real browser', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const keyfob = await startKeyfobUnderTest(t);
  const page = await browser.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} ${message.location().url}`);
  });

  await page.goto(keyfob.url);
  await page.getByRole('link', { name: 'Connect a vehicle' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('2021 TOYOTA RAV4').uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();

  const card = page.locator('article.card', { hasText: 'TESLA Model 3' });
  await card.waitFor();
  await card.locator('.odometer').filter({ hasText: /km$/ }).waitFor();
  const odometer = await card.locator('.odometer').textContent();
  assert.match(odometer ?? '', /^[\d,.\s]+ km$/);
  await card.locator('.locks').filter({ hasText: 'Locked' }).waitFor();
  await card.getByRole('button', { name: 'Unlock' }).click();
  await card.locator('.locks').filter({ hasText: 'Unlocked' }).waitFor();
  await card.getByRole('button', { name: 'Lock', exact: true }).click();
  await card
    .locator('.locks')
    .filter({ hasText: /^Locked$/ })
    .waitFor();
  const sandboxVehicle = keyfob.sandbox?.state.vehicles.get('3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11');
  assert.equal(sandboxVehicle?.isLocked, true, 'the car itself is locked');
  await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });

  const storage = await page.evaluate(() =>
    JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }),
  );
  for (const secret of keyfob.sandbox?.state.tokens.issuedSecrets() ?? []) assert.ok(!storage.includes(secret));
  assert.equal(JSON.parse(storage).cookie, '', 'the session cookie is HttpOnly: scripts cannot read it');

  await card.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByText('Vehicle disconnected.').waitFor();
  assert.equal(await page.locator('article.card').count(), 0);
  assert.equal(await keyfob.app.db.vehicle.count(), 0);
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
});

test('a denied consent shows a clear message on the dashboard', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const keyfob = await startKeyfobUnderTest(t);
  const page = await browser.newPage();
  await page.goto(keyfob.url);
  await page.getByRole('link', { name: 'Connect a vehicle' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.getByText('You declined access at the provider. Nothing was connected.').waitFor();
  assert.equal(new URL(page.url()).search, '', 'the error parameter is cleared from the address bar');
});
