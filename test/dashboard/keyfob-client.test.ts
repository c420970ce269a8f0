/**
 * Keyfob's browser client over real HTTP against Keyfob and the sandbox (a cookie jar stands in for the browser's):
 * the module Keyfob serves is this one, built; it sends `X-CSRF: 1` with the cookie; Keyfob's error bodies become
 * typed errors (signed out, reauth_required with its login URL, insufficient_scope with the missing scopes,
 * rate_limited with retry-after, not_supported_by_provider, fresh_sign_in_required); the live stream delivers
 * signals. Nothing it hands back holds a token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InsufficientScopeError,
  KeyfobClient,
  NotSupportedByProviderError,
  RateLimitedError,
  ReauthRequiredError,
  type SignalsEvent,
  SignedOutError,
} from '../../src/dashboard/client/keyfob-client.ts';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT } from '../helpers/connected.ts';
import { HM_CARS } from '../helpers/highmobility.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { deliverWebhook, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';

/** The client as a page on Keyfob's origin would use it, the browser's cookie jar standing in for the browser. */
function clientOf(keyfob: KeyfobUnderTest, browser: Browser, seenHeaders: Headers[] = []) {
  return new KeyfobClient({
    baseUrl: keyfob.url,
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      seenHeaders.push(headers);
      headers.set('cookie', [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
      return fetch(input, { ...init, headers });
    },
  });
}

test('the client reads, commands and follows live updates, and turns error bodies into typed errors', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const served = await fetch(`${keyfob.url}/dashboard/keyfob-client.js`);
  assert.equal(served.status, 200);
  assert.match(served.headers.get('content-type') ?? '', /javascript/);
  assert.match(await served.text(), /export class KeyfobClient/);

  const browser = new Browser(keyfob.url);
  const sent: Headers[] = [];
  const client = clientOf(keyfob, browser, sent);
  await assert.rejects(client.vehicles(), SignedOutError, 'signed out: a typed error');
  assert.equal((await client.session()).authenticated, false);

  await browser.connect({ account: ALEX_ACCOUNT });
  await browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 });
  const vehicles = await client.vehicles();
  const tesla = vehicles.find((vehicle) => vehicle.make === 'TESLA');
  const rav4 = vehicles.find((vehicle) => vehicle.provider === 'highmobility');
  assert.ok(tesla && rav4);
  const odometer = await client.odometer(tesla.id);
  assert.equal(typeof odometer.data.distance, 'number');
  assert.equal((await client.lock(tesla.id)).status, 'success');
  assert.equal((await client.security(tesla.id)).data.isLocked, true);
  assert.ok(
    sent.every((headers) => headers.get('x-csrf') === '1'),
    'X-CSRF on every call',
  );

  const refused = await client.lock(rav4.id).catch((error) => error);
  assert.ok(refused instanceof NotSupportedByProviderError, String(refused));
  assert.equal(refused.status, 404);
  assert.equal(refused.provider, 'highmobility');

  // Live updates: a webhook for the Tesla arrives as a signals event.
  const events: SignalsEvent[] = [];
  const opened = new Promise<void>((resolve) => {
    const live = client.liveUpdates({ onSignals: (event) => events.push(event), onOpen: resolve });
    t.after(() => live.close());
  });
  await opened;
  const at = Date.now() - 1000;
  const event = vehicleStateEvent({
    signals: [{ code: 'odometer-traveleddistance', body: { value: 31337, unit: 'km' }, at }],
  });
  assert.equal(await deliverWebhook(keyfob.url, keyfob.config.smartcar.webhookAmt as string, event), 200);
  // The sandbox also sends its own webhooks after commands (the lock above): look for ours among them.
  const ours = () => events.find((seen) => seen.signals.some((signal) => signal.value.value === 31337));
  for (let i = 0; i < 100 && !ours(); i++) await sleep(50);
  assert.equal(ours()?.vehicleId, tesla.id);

  // The connection refused at the provider: ReauthRequiredError names where to connect again.
  await keyfob.app.db.grant.updateMany({ where: { provider: 'smartcar' }, data: { status: 'reauth_required' } });
  for (const grant of await keyfob.app.db.grant.findMany())
    await keyfob.app.bus.publish({ kind: 'grant', id: grant.id });
  const reauth = await client.odometer(tesla.id).catch((error) => error);
  assert.ok(reauth instanceof ReauthRequiredError, String(reauth));
  assert.match(reauth.loginUrl, /^\/auth\/login\?provider=smartcar/);
  assert.ok(!JSON.stringify(await client.session()).match(/token/i), 'no token in what the client hands back');
});

test('insufficient_scope and rate_limited arrive as typed errors with what to do', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, {
    USER_SCOPES: 'vehicle.read_list vehicle.read_status',
    RATE_LIMIT_API_PER_SESSION: '6',
  });
  const browser = new Browser(keyfob.url);
  const client = clientOf(keyfob, browser);
  await browser.connect({ account: ALEX_ACCOUNT });
  const [vehicle] = await client.vehicles();
  assert.ok(vehicle);
  const scope = await client.location(vehicle.id).catch((error) => error);
  assert.ok(scope instanceof InsufficientScopeError, String(scope));
  assert.deepEqual(scope.missingScopes, ['vehicle.read_location']);
  let limited: unknown;
  for (let i = 0; i < 10 && !limited; i++)
    limited = await client.odometer(vehicle.id).then(
      () => undefined,
      (e) => e,
    );
  assert.ok(limited instanceof RateLimitedError, String(limited));
  assert.ok((limited.retryAfterSeconds ?? 0) > 0, 'retry-after is carried');
});
