/**
 * Webhooks with several Keyfob processes on one Postgres and one Redis: an instance killed while deliveries are
 * being processed loses none and applies none twice (another instance takes them over when their claim lapses);
 * and, in headless Chromium, a webhook received by one instance updates the dashboard open on the other, without a
 * reload, within a second or two.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { cluster, needsServers } from '../helpers/keyfob-cluster.ts';
import { deliverWebhook, TESLA_AT_SMARTCAR, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';

const CHROMIUM = '/usr/bin/chromium';

test('an instance killed mid-processing: every delivery is processed once, by the instance that remains', async (t) => {
  if (needsServers(t)) return;
  const keyfobs = await cluster(t, 2);
  const amt = String((keyfobs.env as NodeJS.ProcessEnv).SMARTCAR_WEBHOOK_AMT);
  const [doomed] = keyfobs.processes;
  const started = Date.now();
  const bodies = Array.from({ length: 120 }, (_, i) =>
    vehicleStateEvent({
      signals: [
        { code: 'odometer-traveleddistance', body: { value: 30_000 + i, unit: 'km' }, at: started + i },
        { code: 'closure-islocked', body: { value: i % 2 === 0 }, at: started + i },
      ],
    }),
  );
  const statuses = await Promise.all(bodies.map((body) => deliverWebhook(doomed?.url ?? '', amt, body)));
  doomed?.child.kill('SIGKILL');
  await doomed?.exited;
  assert.ok(
    statuses.every((status) => status === 200),
    'every delivery was acknowledged before the kill',
  );
  const left = Number(
    (await keyfobs.query('SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL')).rows[0].count,
  );
  t.diagnostic(`${left} of 120 deliveries unprocessed when the instance died`);
  // The remaining instance sweeps every 5 s; a delivery the dead one had claimed waits for its claim (30 s).
  for (let waited = 0; waited < 60_000; waited += 500) {
    const { rows } = await keyfobs.query('SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL');
    if (Number(rows[0].count) === 0) break;
    await sleep(500);
  }
  const { rows: pending } = await keyfobs.query('SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL');
  assert.equal(Number(pending[0].count), 0, 'nothing lost');
  const { rows: history } = await keyfobs.query(
    'SELECT code, count(*) FROM vehicle_signal_history GROUP BY code ORDER BY code',
  );
  assert.deepEqual(
    history.map((row) => [row.code, Number(row.count)]),
    [
      ['closure-islocked', 120],
      ['odometer-traveleddistance', 120],
    ],
    'nothing applied twice',
  );
  const { rows: latest } = await keyfobs.query(
    `SELECT h.code, h.oem_updated_at FROM vehicle_signals s JOIN vehicle_signal_history h ON h.id = s.history_id`,
  );
  for (const row of latest) assert.equal(new Date(row.oem_updated_at).getTime(), started + 119, 'the newest value won');
});

test('a webhook received by one instance updates the dashboard open on another, without a reload', async (t) => {
  if (needsServers(t)) return;
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing: install Debian's chromium package to run the browser test`);
    return;
  }
  // The sandbox's webhooks go to the second instance; the person's dashboard is open on the first.
  const keyfobs = await cluster(t, 2, 0, {}, 'smartcar', 1);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  const first = keyfobs.processes[0]?.url as string;
  const context = await browser.newContext();
  await context.addCookies(
    [...(keyfobs.browsers[0]?.cookies ?? [])].map(([name, value]) => ({ name, value, url: first })),
  );
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(first);
  const card = page.locator('article.card', { hasText: 'TESLA Model 3' });
  await card.locator('.odometer').filter({ hasText: /km$/ }).waitFor();
  await page.getByText('Live updates on.').waitFor();
  await page.evaluate(() => {
    (window as unknown as { keptAcross: boolean }).keptAcross = true;
  });
  // The car drives on for an hour; the sandbox tells Keyfob (the second instance) by webhook.
  await fetch(`${keyfobs.sandbox.url}/sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds: 3600 }),
  });
  const sentAt = Date.now();
  const sent = await fetch(`${keyfobs.sandbox.url}/sandbox/webhooks/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vehicleId: TESLA_AT_SMARTCAR }),
  });
  assert.equal(sent.status, 200);
  await card.locator('.age').filter({ hasText: /^Live/ }).waitFor({ timeout: 10_000 });
  t.diagnostic(`the dashboard on the other instance updated ${Date.now() - sentAt} ms after the webhook was sent`);
  const odometer = await card.locator('.odometer').textContent();
  const state = (await (await fetch(`${keyfobs.sandbox.url}/sandbox/calls`)).json()) as Record<string, number>;
  assert.ok((state['webhook.delivered'] ?? 0) >= 1, 'the webhook was delivered to the second instance');
  assert.match(odometer ?? '', /km$/);
  assert.equal(
    await page.evaluate(() => (window as unknown as { keptAcross?: boolean }).keptAcross),
    true,
    'no reload',
  );
  // The chart shows the readings, described for screen readers.
  await fetch(`${keyfobs.sandbox.url}/sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds: 1800 }),
  });
  await fetch(`${keyfobs.sandbox.url}/sandbox/webhooks/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vehicleId: TESLA_AT_SMARTCAR }),
  });
  const chart = card.getByRole('img', { name: /Odometer and battery over time/ });
  await chart.waitFor({ timeout: 10_000 });
  assert.match((await chart.locator('desc').textContent()) ?? '', /Odometer .* km to .* km over 2 readings/);
  assert.deepEqual(errors, []);
});
