/**
 * A person in headless Chromium (Debian's chromium, driven by playwright-core): connect one car through Smartcar
 * and one through High Mobility from the dashboard, see both odometers in the same shape, lock the one whose
 * provider can, disconnect both. Also checks that no script-visible storage holds a token, and that a car's state
 * reported by Smartcar (asleep, a revoked grant) shows on the open dashboard without a reload.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { chromium } from 'playwright-core';
import { highMobilityState } from '../helpers/highmobility.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { TESLA_AT_SMARTCAR } from '../helpers/smartcar-webhook.ts';

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

test('connect a car from each provider, read both, lock and disconnect in a real browser', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const keyfob = await startKeyfobUnderTest(t);
  const page = await browser.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // The dashboard asks a car for its battery first and, on 501 (no traction battery), for its fuel: Chromium logs
    // that expected 501 as a failed resource. Every other error counts.
    const expected501 = /status of 501/.test(message.text()) && message.location().url.endsWith('/battery');
    if (message.type() === 'error' && !expected501) errors.push(`${message.text()} ${message.location().url}`);
  });

  await page.goto(keyfob.url);
  await page.getByRole('link', { name: 'Connect a car via Smartcar' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('2021 TOYOTA RAV4').uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('article.card', { hasText: 'TESLA Model 3' }).waitFor();

  // The same person connects another car through High Mobility: it joins the signed-in user.
  await page.getByRole('link', { name: 'Connect another car via High Mobility' }).click();
  await page.getByLabel('2021 TOYOTA RAV4').check();
  await page.getByRole('button', { name: 'Approve' }).click();
  const hmCard = page.locator('article.card[data-provider="highmobility"]');
  await hmCard.waitFor();
  await hmCard.getByText('via High Mobility').waitFor();
  await hmCard.locator('.odometer').filter({ hasText: /km$/ }).waitFor();
  assert.match((await hmCard.locator('.odometer').textContent()) ?? '', /^[\d,.\s]+ km$/);
  await hmCard.locator('.energy-label').filter({ hasText: 'Fuel' }).waitFor();
  assert.equal(
    await hmCard.getByRole('button', { name: 'Unlock' }).isVisible(),
    false,
    'High Mobility has no commands',
  );

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
  const hmSecrets = highMobilityState(keyfob.sandbox).issuedSecrets();
  assert.ok(hmSecrets.length > 0);
  for (const secret of [...(keyfob.sandbox?.state.tokens.issuedSecrets() ?? []), ...hmSecrets]) {
    assert.ok(!storage.includes(secret));
  }
  assert.equal(JSON.parse(storage).cookie, '', 'the session cookie is HttpOnly: scripts cannot read it');

  await card.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByText('Vehicle disconnected.').waitFor();
  await hmCard.getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('article.card').first().waitFor({ state: 'detached' });
  assert.equal(await page.locator('article.card').count(), 0);
  assert.ok([...highMobilityState(keyfob.sandbox).consents.values()].every((consent) => consent.revoked));
  assert.equal(await keyfob.app.db.vehicle.count(), 0);
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
});

test('a denied consent shows a clear message on the dashboard', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const keyfob = await startKeyfobUnderTest(t);
  const page = await browser.newPage();
  await page.goto(keyfob.url);
  await page.getByRole('link', { name: 'Connect a car via Smartcar' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.getByText('You declined access at the provider. Nothing was connected.').waitFor();
  assert.equal(new URL(page.url()).search, '', 'the error parameter is cleared from the address bar');
});

test("the dashboard shows a car's reported state live: asleep and awake again, then the reconnect button, without a reload", async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const keyfob = await startKeyfobUnderTest(t);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(keyfob.url);
  await page.getByRole('link', { name: 'Connect a car via Smartcar' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('2021 TOYOTA RAV4').uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();
  const card = () => page.locator('article.card', { hasText: 'TESLA Model 3' });
  await card().locator('.odometer').filter({ hasText: /km$/ }).waitFor();
  await page.getByText('Live updates on.').waitFor();
  await page.evaluate(() => {
    (window as unknown as { keptAcross: boolean }).keptAcross = true;
  });
  const control = (path: string, body: unknown = {}) =>
    fetch(`${keyfob.sandbox?.url}/sandbox/smartcar/vehicles/${TESLA_AT_SMARTCAR}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  assert.equal((await control('state', { state: 'ASLEEP' })).status, 200);
  await card().locator('.notice').filter({ hasText: 'Your car is asleep' }).waitFor({ timeout: 5_000 });
  assert.equal(await card().getAttribute('data-status'), 'asleep');
  assert.equal(await card().locator('a.reconnect').count(), 0, 'asleep asks for no reconnect');
  assert.equal((await control('state', { state: 'ONLINE' })).status, 200);
  await page.locator('article.card[data-status="active"]', { hasText: 'TESLA Model 3' }).waitFor({ timeout: 5_000 });
  assert.equal(await card().locator('.notice').isVisible(), false);

  const revokedAt = Date.now();
  assert.equal((await control('revoke')).status, 200);
  const reconnect = card().getByRole('link', { name: 'Reconnect' });
  await reconnect.waitFor({ timeout: 5_000 });
  t.diagnostic(`the reconnect button appeared ${Date.now() - revokedAt} ms after the grant was revoked`);
  assert.equal(await reconnect.getAttribute('href'), '/auth/login?provider=smartcar');
  // The car's own data calls may meet the revoked tokens first (a refused refresh); the webhook's words follow.
  await card().locator('.notice').filter({ hasText: 'Please connect your car again.' }).waitFor({ timeout: 5_000 });
  assert.equal(
    await page.evaluate(() => (window as unknown as { keptAcross?: boolean }).keptAcross),
    true,
    'no reload',
  );
  // The button takes the person through Connect again; back on the dashboard the car is active.
  await reconnect.click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('2021 TOYOTA RAV4').uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.locator('article.card[data-status="active"]', { hasText: 'TESLA Model 3' }).waitFor();
  await card().locator('.odometer').filter({ hasText: /km$/ }).waitFor();
  assert.deepEqual(errors, []);
});
