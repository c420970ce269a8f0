/**
 * `GET /api/events`: a webhook's signals reach the signed-in person's open stream, within their scopes; a stream
 * reopened with `Last-Event-ID` gets what it missed; the stream needs the CSRF header like every `/api` call, and
 * ends as soon as its session does; `/trends` returns the stored history for the chart.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { openStream } from '../helpers/live-stream.ts';
import { deliverWebhook, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';

async function streamKeyfob(t: TestContext, env: NodeJS.ProcessEnv = {}) {
  const keyfob = await startKeyfobUnderTest(t, env);
  const amt = keyfob.config.smartcar.webhookAmt as string;
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  let clock = Date.now();
  const deliver = async (odometer: number) => {
    clock += 1000;
    const body = vehicleStateEvent({
      signals: [
        { code: 'odometer-traveleddistance', body: { value: odometer, unit: 'km' }, at: clock },
        { code: 'location-preciselocation', body: { latitude: 52.52, longitude: 13.405 }, at: clock },
        { code: 'tractionbattery-stateofcharge', body: { value: 80 - odometer / 1000, unit: 'percent' }, at: clock },
      ],
    });
    assert.equal(await deliverWebhook(keyfob.url, amt, body), 200);
  };
  return { keyfob, browser, tesla: byMake('TESLA').id as string, deliver };
}

test('a webhook reaches the open stream; a reconnect with Last-Event-ID gets what it missed; trends are stored', async (t) => {
  const { keyfob, browser, tesla, deliver } = await streamKeyfob(t);
  const stream = await openStream(keyfob.url, browser);
  await deliver(32_000);
  const first = await stream.next();
  assert.equal(first?.event, 'signals');
  const data = JSON.parse(first?.data ?? '{}');
  assert.equal(data.vehicleId, tesla, "Keyfob's vehicle id, never the provider's");
  const odometer = data.signals.find((signal: { code: string }) => signal.code === 'odometer-traveleddistance');
  assert.equal(odometer.value.value, 32_000);
  assert.ok(data.signals.some((signal: { code: string }) => signal.code === 'location-preciselocation'));
  stream.close();
  // Missed while away (a restart, a network change): replayed from the last id the dashboard saw.
  await deliver(32_050);
  await deliver(32_100);
  const again = await openStream(keyfob.url, browser, first?.id);
  const missed = [await again.next(), await again.next()].map((event) => JSON.parse(event?.data ?? '{}'));
  assert.deepEqual(
    missed.map(
      (event) => event.signals.find((s: { code: string }) => s.code === 'odometer-traveleddistance').value.value,
    ),
    [32_050, 32_100],
  );
  again.close();
  const trends = await browser.request('GET', `/api/vehicles/${tesla}/trends`);
  assert.deepEqual(
    trends.json.odometer.map((point: { value: number }) => point.value),
    [32_000, 32_050, 32_100],
  );
  assert.equal(trends.json.battery.length, 3);
});

test('the stream keeps the rules of /api: CSRF header, scopes, and it ends when its session ends', async (t) => {
  const { keyfob, browser, deliver } = await streamKeyfob(t, { USER_SCOPES: 'vehicle.read_list vehicle.read_status' });
  const noCsrf = await fetch(`${keyfob.url}/api/events`, {
    headers: { cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
  });
  assert.equal(noCsrf.status, 403);
  assert.equal((await fetch(`${keyfob.url}/api/events`, { headers: { 'x-csrf': '1' } })).status, 401);
  const stream = await openStream(keyfob.url, browser);
  await deliver(40_000);
  const event = JSON.parse((await stream.next())?.data ?? '{}');
  assert.ok(
    !event.signals.some((signal: { code: string }) => signal.code.startsWith('location-')),
    'no location without vehicle.read_location',
  );
  assert.ok(event.signals.some((signal: { code: string }) => signal.code === 'odometer-traveleddistance'));
  const started = Date.now();
  assert.equal((await browser.request('POST', '/auth/logout')).status, 200);
  const end = await stream.next();
  assert.deepEqual([end?.event, JSON.parse(end?.data ?? '{}').reason], ['end', 'session_ended']);
  assert.ok(Date.now() - started < 3_000, 'at once, not at the next heartbeat');
  assert.equal(await stream.next(), undefined, 'and the stream is closed');
});
