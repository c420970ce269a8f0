/**
 * High Mobility behind Keyfob, end to end over HTTP against the sandbox: a Smartcar car and a High Mobility car in
 * one session with identical answer shapes, the provider chosen at login and kept by the pending login, the BMW
 * consent pending until the carmaker confirms, refresh with rotation and strict reuse, the rule for token errors,
 * and disconnect revoking at High Mobility.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, expireStoredAccessTokens, SAM_ACCOUNT, sandboxCalls } from '../helpers/connected.ts';
import { HM_CARS, highMobilityState } from '../helpers/highmobility.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { highMobilityConsent } from '../helpers/sandbox-flow.ts';

async function bothProviders(keyfob: KeyfobUnderTest) {
  const browser = new Browser(keyfob.url);
  const smartcar = await browser.connect({ account: ALEX_ACCOUNT, vehicles: ['3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11'] });
  assert.equal(smartcar.headers.get('location'), '/');
  const highmobility = await browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 });
  assert.equal(highmobility.headers.get('location'), '/');
  const session = (await browser.request('GET', '/auth/session')).json;
  const tesla = session.vehicles.find((vehicle: { provider: string }) => vehicle.provider === 'smartcar');
  const rav4 = session.vehicles.find((vehicle: { provider: string }) => vehicle.provider === 'highmobility');
  return { browser, session, tesla, rav4 };
}

const shapeOf = (body: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(body).map(([key, value]) => [key, value === null ? 'null' : typeof value]));

test('one session connects a Smartcar car and a High Mobility car and reads both with identical shapes', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, session, tesla, rav4 } = await bothProviders(keyfob);
  assert.equal(session.vehicles.length, 2, 'both cars joined the one signed-in user');
  assert.deepEqual(
    session.providers.map((provider: { name: string }) => provider.name),
    ['smartcar', 'highmobility'],
  );
  assert.equal(rav4.status, 'active');
  assert.equal((await sandboxCalls(keyfob))['highmobility.api.GET /v1/vehicleinfo'], 1, 'one vehicle info per consent');
  assert.equal(rav4.vin, '*************4321');
  assert.ok(rav4.features.includes('GET /odometer') && !rav4.features.includes('POST /security'));
  const users = await keyfob.app.db.user.findMany({ include: { identities: true } });
  assert.equal(users.length, 1);
  assert.deepEqual(users[0]?.identities.map((identity) => identity.issuer).sort(), ['highmobility', 'smartcar']);

  for (const path of ['/odometer', '/location', '/security']) {
    const fromSmartcar = await browser.request('GET', `/api/vehicles/${tesla.id}${path}`);
    const fromHighMobility = await browser.request('GET', `/api/vehicles/${rav4.id}${path}`);
    assert.equal(fromHighMobility.status, 200, `${path}: ${fromHighMobility.text}`);
    const keys = Object.keys(fromSmartcar.json);
    assert.deepEqual(Object.keys(fromHighMobility.json).sort(), keys.sort(), path);
    if (path !== '/security') assert.deepEqual(shapeOf(fromHighMobility.json), shapeOf(fromSmartcar.json), path);
    assert.ok(fromHighMobility.headers.get('sc-data-age'), `${path}: the data's timestamp is the data age`);
  }
  // The RAV4 reports miles at High Mobility (it is in California): Keyfob answers kilometres, as Smartcar's shape says.
  const car = keyfob.sandbox?.state.vehicle('8a2f4c6e-1d3b-4e5f-8a7b-9c0d1e2f3a21');
  const odometer = await browser.request('GET', `/api/vehicles/${rav4.id}/odometer`);
  assert.ok(Math.abs(odometer.json.distance - (car?.odometerKm ?? 0)) < 1, `${odometer.json.distance} km`);
  const fuel = await browser.request('GET', `/api/vehicles/${rav4.id}/fuel`);
  assert.equal(fuel.status, 200);
  assert.ok(fuel.json.percentRemaining > 0 && fuel.json.percentRemaining <= 1);
  assert.equal(fuel.json.amountRemaining, null);
  const battery = await browser.request('GET', `/api/vehicles/${rav4.id}/battery`);
  assert.equal(battery.status, 501, 'a fuel car reports no battery: 501 as Smartcar answers');
  assert.equal(battery.json.error, 'not_capable');
});

test('a route High Mobility lacks is 404 not_supported_by_provider, naming it, and never reaches it', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, rav4, tesla } = await bothProviders(keyfob);
  const before = await sandboxCalls(keyfob);
  for (const [method, path, body] of [
    ['POST', '/security', { action: 'UNLOCK' }],
    ['POST', '/charge', { action: 'START' }],
    ['GET', '/vin', undefined],
    ['GET', '/tires/pressure', undefined],
  ] as const) {
    const answer = await browser.request(method, `/api/vehicles/${rav4.id}${path}`, body ? { body } : {});
    assert.equal(answer.status, 404, `${method} ${path}`);
    assert.equal(answer.json.error, 'not_supported_by_provider');
    assert.equal(answer.json.provider, 'highmobility');
    assert.match(answer.json.message, /High Mobility/);
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'nothing reached any provider');
  // The same route on the Smartcar car works: the route table is the vehicle's provider's.
  const unlock = await browser.request('POST', `/api/vehicles/${tesla.id}/security`, { body: { action: 'UNLOCK' } });
  assert.equal(unlock.status, 200);
});

test('login: several providers need ?provider=, named in the 400; the callback takes the provider from its pending login', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const missing = await browser.request('GET', '/auth/login', { csrf: false });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error, 'provider_required');
  assert.deepEqual(missing.json.providers, ['smartcar', 'highmobility']);
  const unknown = await browser.request('GET', '/auth/login?provider=tesla', { csrf: false });
  assert.equal(unknown.status, 400);

  // A login started for Smartcar; a High Mobility code comes back with its state and a query naming High Mobility.
  const login = await browser.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const state = new URL(login.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const hm = keyfob.config.highmobility;
  const authorize = new URL(`${keyfob.sandbox?.url}/highmobility/oauth/new`);
  authorize.search = new URLSearchParams({
    client_id: hm.clientId,
    app_id: hm.appId,
    redirect_uri: `${keyfob.url}/auth/callback`,
    state,
  }).toString();
  const redirect = await highMobilityConsent(authorize.href, { vehicle: HM_CARS.alexRav4 });
  const callback = await browser.request('GET', `${redirect.pathname}${redirect.search}&provider=highmobility`, {
    csrf: false,
  });
  assert.equal(callback.headers.get('location'), '/?connect_error=code_rejected', 'exchanged at Smartcar, refused');
  const calls = await sandboxCalls(keyfob);
  assert.equal(calls['highmobility.token.authorization_code'] ?? 0, 0, 'the code never went to High Mobility');
  assert.equal(await keyfob.app.db.grant.count(), 0);
});

test('with one provider enabled, /auth/login needs no provider; a disabled one is refused', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { PROVIDERS: 'smartcar' });
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login?returnTo=/', { csrf: false });
  assert.equal(login.status, 302);
  assert.match(login.headers.get('location') ?? '', /\/oauth\/authorize\?/);
  const session = (await browser.request('GET', '/auth/session')).json;
  assert.deepEqual(session.providers, [{ name: 'smartcar', displayName: 'Smartcar' }]);
  const disabled = await browser.request('GET', '/auth/login?provider=highmobility', { csrf: false });
  assert.equal(disabled.status, 400);
  assert.equal(disabled.json.error, 'provider_required');
});

test('a BMW consent is pending_approval until the carmaker confirms; data calls say so; then it is active by itself', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connectHighMobility({ vehicle: HM_CARS.samBmw });
  const [bmw] = (await browser.request('GET', '/auth/session')).json.vehicles;
  assert.equal(bmw.status, 'pending_approval');
  const waiting = await browser.request('GET', `/api/vehicles/${bmw.id}/odometer`);
  assert.equal(waiting.status, 422);
  assert.equal(waiting.json.error, 'pending_approval');
  assert.match(waiting.json.message, /not confirmed this consent at the carmaker/);
  // The owner confirms at BMW (the sandbox's pending period passes).
  keyfob.sandbox?.state.clock.advance(31);
  const confirmed = await browser.request('GET', `/api/vehicles/${bmw.id}/odometer`);
  assert.equal(confirmed.status, 200, confirmed.text);
  const [after] = (await browser.request('GET', '/auth/session')).json.vehicles;
  assert.equal(after.status, 'active');
});

test('High Mobility refresh rotates both tokens; a reused refresh token revokes the consent (strict reuse)', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connectHighMobility({ vehicle: HM_CARS.samFord });
  const [ford] = (await browser.request('GET', '/auth/session')).json.vehicles;
  const grantOf = async () => {
    const grant = await keyfob.app.repos.grants.findTokens((await keyfob.app.db.grant.findFirstOrThrow()).id);
    return grant as NonNullable<typeof grant>;
  };
  const before = await grantOf();
  await expireStoredAccessTokens(keyfob);
  assert.equal((await browser.request('GET', `/api/vehicles/${ford.id}/battery`)).status, 200);
  const after = await grantOf();
  assert.equal((await sandboxCalls(keyfob))['highmobility.token.refresh_token'], 1);
  assert.notEqual(after.accessToken, before.accessToken);
  assert.notEqual(after.refreshToken, before.refreshToken);
  assert.equal(after.version, before.version + 1);

  // Someone presents the used refresh token: High Mobility (strict) revokes the whole consent.
  const reuse = await fetch(`${keyfob.sandbox?.url}/highmobility/v1/access_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'refresh_token',
      refresh_token: before.refreshToken,
      client_id: keyfob.config.highmobility.clientId,
      client_secret: keyfob.config.highmobility.clientSecret,
    }),
  });
  assert.equal(reuse.status, 400);
  assert.deepEqual(await reuse.json(), { error: 'invalid_request', error_description: 'refresh_token is invalid' });
  await expireStoredAccessTokens(keyfob);
  const refused = await browser.request('GET', `/api/vehicles/${ford.id}/battery`);
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error, 'reauth_required');
  assert.equal(refused.json.loginUrl, '/auth/login?provider=highmobility');
  assert.equal((await grantOf()).status, 'reauth_required');
});

test('High Mobility token failures: a provider failure keeps the tokens (502); a refused refresh token needs reconnecting', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connectHighMobility({ vehicle: HM_CARS.samFord });
  const [ford] = (await browser.request('GET', '/auth/session')).json.vehicles;
  const stored = () => keyfob.app.db.grant.findFirstOrThrow();
  const before = await stored();
  for (const status of [503, 400]) {
    await expireStoredAccessTokens(keyfob);
    keyfob.sandbox?.state.faults.add('highmobility.token', { kind: 'error', status }, 1);
    const failed = await browser.request('GET', `/api/vehicles/${ford.id}/battery`);
    assert.equal(failed.status, 502, `token endpoint ${status}: ${failed.text}`);
    assert.equal(failed.json.error, 'upstream_unavailable');
    const now = await stored();
    assert.equal(now.status, 'active');
    assert.equal(now.refreshTokenEnc, before.refreshTokenEnc, 'tokens untouched');
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the per-grant cool-down after a failure
  }
  // The consent ends at High Mobility (the owner revoked it): the refresh token is refused.
  for (const consent of highMobilityState(keyfob.sandbox).consents.values()) {
    highMobilityState(keyfob.sandbox).revokeConsent(consent.id);
  }
  await expireStoredAccessTokens(keyfob);
  const gone = await browser.request('GET', `/api/vehicles/${ford.id}/battery`);
  assert.equal(gone.status, 401);
  assert.equal(gone.json.error, 'reauth_required');
  assert.equal((await stored()).status, 'reauth_required');
});

test('disconnecting a High Mobility car revokes its refresh token at High Mobility and keeps nothing of it', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connectHighMobility({ vehicle: HM_CARS.samFord });
  const [ford] = (await browser.request('GET', '/auth/session')).json.vehicles;
  const answer = await browser.request('DELETE', `/api/vehicles/${ford.id}`);
  assert.equal(answer.status, 200, answer.text);
  assert.equal((await sandboxCalls(keyfob))['highmobility.revoke'], 1);
  const consents = [...highMobilityState(keyfob.sandbox).consents.values()];
  assert.deepEqual(
    consents.map((consent) => consent.revoked),
    [true],
  );
  const grant = await keyfob.app.db.grant.findFirstOrThrow();
  assert.equal(grant.status, 'revoked');
  assert.equal(grant.accessTokenEnc, null);
  assert.equal(grant.refreshTokenEnc, null);
  assert.equal(await keyfob.app.db.vehicle.count(), 0);
});

test("High Mobility's data errors reach the browser in Keyfob's shape: a failed property, a sleeping car", async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connectHighMobility({ vehicle: HM_CARS.samFord });
  const [ford] = (await browser.request('GET', '/auth/session')).json.vehicles;
  const hm = highMobilityState(keyfob.sandbox);
  hm.failures.set('1FTVW1EL3PWG76543 charging.battery_level', 'oem_error');
  const failed = await browser.request('GET', `/api/vehicles/${ford.id}/battery`);
  assert.equal(failed.status, 502);
  assert.equal(failed.json.error, 'provider_error');
  assert.match(failed.json.message, /battery level: oem_error/);
  hm.asleep.add('1FTVW1EL3PWG76543');
  const asleep = await browser.request('GET', `/api/vehicles/${ford.id}/odometer`);
  assert.equal(asleep.status, 408);
  assert.equal(asleep.json.error, 'vehicle_unreachable');
  assert.equal(asleep.json.provider, 'highmobility');
  assert.ok(!asleep.text.includes('1FTVW1EL3PWG76543'), 'no full VIN in the answer');
});

test('signing in again with a linked provider account finds the same user', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const first = await bothProviders(keyfob);
  // Another browser signs in with the High Mobility account only: it is the same Keyfob user.
  const other = new Browser(keyfob.url);
  await other.connectHighMobility({ vehicle: HM_CARS.alexTesla });
  const session = (await other.request('GET', '/auth/session')).json;
  assert.equal(session.user.id, first.session.user.id);
  assert.equal(session.vehicles.length, 3);
  assert.equal(SAM_ACCOUNT.length, 36);
});
