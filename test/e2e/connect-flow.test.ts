import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, connectedBrowser, connectedKeyfob, SAM_ACCOUNT } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { consent } from '../helpers/sandbox-flow.ts';

test('the whole connect flow: consent, callback, session, vehicles', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const callback = await browser.connect({ account: ALEX_ACCOUNT }, '/garage');
  assert.equal(callback.status, 302, callback.text);
  assert.equal(callback.headers.get('location'), '/garage');
  const session = await browser.request('GET', '/auth/session');
  assert.equal(session.status, 200);
  assert.equal(session.json.authenticated, true);
  assert.match(session.json.user.id, /^[0-9a-f-]{36}$/);
  assert.ok(Date.parse(session.json.expiresAt) > Date.now());
  assert.deepEqual(
    session.json.vehicles.map((v: { make: string; model: string; year: number; vin: string; status: string }) => [
      v.make,
      v.model,
      v.year,
      v.vin,
      v.status,
    ]),
    [
      ['TESLA', 'Model 3', 2022, '*************3456', 'active'],
      ['TOYOTA', 'RAV4', 2021, '*************4321', 'active'],
    ],
  );
  assert.ok(session.json.vehicles[0].scopes.includes('read_odometer'));
  const list = await browser.request('GET', '/api/vehicles');
  assert.deepEqual(list.json.vehicles, session.json.vehicles);
  const authorize = new URL((browser.seen[0]?.headers.location as string) ?? '');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('redirect_uri'), `${keyfob.url}/auth/callback`);
  assert.equal(authorize.searchParams.get('mode'), 'simulated');
});

test('the session cookie is HttpOnly, SameSite=Lax, Path=/, without Domain', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  await browser.connect({ account: ALEX_ACCOUNT });
  const cookies = browser.seen.flatMap((answer) =>
    answer.headers['set-cookie'] ? [answer.headers['set-cookie']] : [],
  );
  assert.ok(cookies.length > 0);
  for (const cookie of cookies) {
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /Domain=/i);
  }
});

test('an https PUBLIC_URL makes the cookie Secure and __Host- prefixed', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { PUBLIC_URL: 'https://cars.example.com', TRUST_PROXY: 'true' });
  const login = await fetch(`${keyfob.url}/auth/login?provider=smartcar`, {
    redirect: 'manual',
    headers: { 'x-forwarded-proto': 'https' },
  });
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, /^__Host-keyfob=/);
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /; Path=\//);
  assert.doesNotMatch(cookie, /Domain=/i);
});

test('the session id is renewed at login: the id from before login is worthless after it', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const before = browser.cookies.get('keyfob');
  assert.ok(before);
  const callback = await consent(login.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  await browser.request('GET', callback.pathname + callback.search, { csrf: false });
  const after = browser.cookies.get('keyfob');
  assert.ok(after && after !== before, 'a new session id after login');
  const attacker = new Browser(keyfob.url);
  attacker.cookies.set('keyfob', before);
  const planted = await attacker.request('GET', '/auth/session');
  assert.equal(planted.json.authenticated, false);
});

test('denied consent returns to the dashboard with access_denied and stores nothing', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const callback = await browser.connect({ account: ALEX_ACCOUNT, decision: 'deny' });
  assert.equal(callback.status, 302);
  assert.equal(callback.headers.get('location'), '/?connect_error=access_denied');
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false);
  assert.equal(await keyfob.app.db.grant.count(), 0);
  assert.equal(
    (await fetch(`${keyfob.sandbox?.url}/sandbox/calls`).then((r) => r.json()))['token.authorization_code'],
    undefined,
  );
});

test('a replayed callback is refused: the state works once', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const callback = await consent(login.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  const path = callback.pathname + callback.search;
  assert.equal((await browser.request('GET', path, { csrf: false })).status, 302);
  const replay = await browser.request('GET', path, { csrf: false });
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_state');
  assert.equal(await keyfob.app.db.grant.count(), 1, 'the replay stored nothing');
});

test('forged, missing and other-browser states are refused with 400 and nothing is stored', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const victim = new Browser(keyfob.url);
  const login = await victim.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const callback = await consent(login.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  const attacker = new Browser(keyfob.url);
  await attacker.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const crossSession = await attacker.request('GET', callback.pathname + callback.search, { csrf: false });
  assert.equal(crossSession.status, 400, 'a state from another browser');
  const forged = await victim.request('GET', `/auth/callback?code=${callback.searchParams.get('code')}&state=forged`, {
    csrf: false,
  });
  assert.equal(forged.status, 400);
  const missing = await victim.request('GET', `/auth/callback?code=${callback.searchParams.get('code')}`, {
    csrf: false,
  });
  assert.equal(missing.status, 400);
  const errorWithoutState = await victim.request('GET', '/auth/callback?error=access_denied', { csrf: false });
  assert.equal(errorWithoutState.status, 400);
  assert.equal(await keyfob.app.db.grant.count(), 0);
  assert.equal(await keyfob.app.db.user.count(), 0);
});

test('returnTo pointing off-site falls back to /', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  for (const returnTo of [
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '/%2F%2Fevil.example',
    'javascript:alert(1)',
    '/ok\r\nx',
  ]) {
    const browser = new Browser(keyfob.url);
    const callback = await browser.connect({ account: ALEX_ACCOUNT }, returnTo);
    assert.equal(callback.headers.get('location'), '/', JSON.stringify(returnTo));
  }
});

test('a second connect by the same person adds vehicles to the same user; a vehicle connected again moves grant', async (t) => {
  const { keyfob, browser, session } = await connectedKeyfob(
    t,
    {},
    { vehicles: ['3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11'] },
  );
  assert.equal(session.vehicles.length, 1);
  const firstGrant = (await keyfob.app.db.vehicle.findFirstOrThrow()).grantId;
  await browser.connect({ account: ALEX_ACCOUNT });
  const after = (await browser.request('GET', '/auth/session')).json;
  assert.equal(after.user.id, session.user.id, 'the same user');
  assert.equal(after.vehicles.length, 2);
  assert.equal(after.vehicles[0].id, session.vehicles[0].id, 'the Tesla kept its Keyfob id');
  const vehicles = await keyfob.app.db.vehicle.findMany();
  assert.equal(new Set(vehicles.map((v) => v.grantId)).size, 1, 'both on the new grant');
  assert.notEqual(vehicles[0]?.grantId, firstGrant);
  const old = await keyfob.app.db.grant.findUniqueOrThrow({ where: { id: firstGrant } });
  assert.equal(old.status, 'revoked');
  assert.equal(old.accessTokenEnc, null, 'an unused grant loses its tokens');
  const other = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  assert.notEqual(other.session.user.id, session.user.id, 'another account is another user');
});
