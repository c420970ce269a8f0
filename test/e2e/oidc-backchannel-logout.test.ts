/**
 * OpenID Connect back-channel logout across two Keyfob instances (one Postgres, one Redis) with panva's real
 * oidc-provider: a valid logout token ends every session of that provider session on both instances at once, and
 * only those; a forged, expired, replayed, nonce-bearing or otherwise wrong token is refused and ends nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  IDP_CLIENT_ID,
  IDP_CLIENT_SECRET,
  IdentityProviderBrowser,
  startIdentityProvider,
} from '../helpers/identity-provider.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

async function postLogoutToken(url: string, token: string) {
  const response = await fetch(`${url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    json: text ? JSON.parse(text) : undefined,
  };
}

test('back-channel logout ends that provider session on every instance at once; bad tokens end nothing', async (t) => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    t.skip('needs DATABASE_URL and REDIS_URL: two instances share one Postgres and one Redis');
    return;
  }
  const [port1, port2] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${port1}`;
  const idp = await startIdentityProvider(t, publicUrl);
  const database = await createTestDatabase(t);
  const env = {
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: IDP_CLIENT_ID,
    OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
  };
  const one = await startKeyfobUnderTest(t, { ...env, PORT: String(port1) }, database);
  const two = await startKeyfobUnderTest(t, { ...env, PORT: String(port2) }, database);

  async function signIn(account: string) {
    const first = new Browser(one.url);
    const login = await first.request('GET', '/auth/login', { csrf: false });
    const back = await new IdentityProviderBrowser().signIn(login.headers.get('location') ?? '', account);
    await first.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    // The same session on the other instance, as a load balancer would send the browser there.
    const second = new Browser(two.url);
    for (const [name, value] of first.cookies) second.cookies.set(name, value);
    return [first, second] as const;
  }
  const signedIn = async (browser: Browser) => (await browser.request('GET', '/auth/session')).json.authenticated;

  const dana = await signIn('dana');
  const erin = await signIn('erin');
  for (const browser of [...dana, ...erin]) assert.equal(await signedIn(browser), true);
  const { sid } = await one.app.db.oidcSession.findFirstOrThrow({ where: { subject: 'dana' } });
  assert.ok(sid);

  const now = Math.floor(Date.now() / 1000);
  const refused: Array<[string, string]> = [
    ['signed by a foreign key', await idp.logoutToken({ sid }, { foreignKey: true })],
    ['expired', await idp.logoutToken({ sid }, { claims: { iat: now - 600, exp: now - 300 } })],
    ['carrying a nonce', await idp.logoutToken({ sid }, { claims: { nonce: 'n' } })],
    ['for another audience', await idp.logoutToken({ sid }, { claims: { aud: 'another-client' } })],
    ['from another issuer', await idp.logoutToken({ sid }, { claims: { iss: 'https://evil.example' } })],
    ['without the logout event', await idp.logoutToken({ sid }, { claims: { events: {} } })],
    ['typed as another JWT', await idp.logoutToken({ sid }, { header: { typ: 'JWT+other' } })],
    ['naming neither sid nor sub', await idp.logoutToken({})],
    ['not a JWT at all', 'garbage'],
  ];
  for (const [what, token] of refused) {
    const answer = await postLogoutToken(two.url, token);
    assert.equal(answer.status, 400, what);
    assert.equal(answer.json.error, 'invalid_request', what);
    assert.equal(answer.cacheControl, 'no-store', what);
  }
  for (const browser of dana) assert.equal(await signedIn(browser), true, 'a refused token ends nothing');

  const token = await idp.logoutToken({ sid, sub: 'dana' });
  const accepted = await postLogoutToken(two.url, token);
  assert.equal(accepted.status, 200);
  assert.equal(accepted.cacheControl, 'no-store');
  // At once, on both instances: no request signed in with that session is served any more.
  for (const browser of dana) {
    assert.equal(await signedIn(browser), false);
    assert.equal((await browser.request('GET', '/api/vehicles')).status, 401);
  }
  for (const browser of erin) assert.equal(await signedIn(browser), true, "another person's session stays");

  const again = await signIn('dana');
  const replay = await postLogoutToken(one.url, token);
  assert.equal(replay.status, 400, 'a replayed logout token is refused');
  assert.equal(await signedIn(again[1]), true, 'and ends nothing');

  // Without a sid, every session of that subject ends.
  const bySubject = await postLogoutToken(one.url, await idp.logoutToken({ sub: 'dana' }));
  assert.equal(bySubject.status, 200);
  for (const browser of again) assert.equal(await signedIn(browser), false);
  for (const browser of erin) assert.equal(await signedIn(browser), true);
});

test('signing out at the identity provider itself ends the Keyfob session through its back-channel logout', async (t) => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startIdentityProvider(t, publicUrl);
  const keyfob = await startKeyfobUnderTest(t, {
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: IDP_CLIENT_ID,
    OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
  });
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login', { csrf: false });
  const idpBrowser = new IdentityProviderBrowser();
  const back = await idpBrowser.signIn(login.headers.get('location') ?? '', 'dana');
  await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true);
  await idpBrowser.signOutAtProvider(idp.issuer);
  // The provider delivers its logout tokens after it answers its own page: wait for the delivery, a few seconds at most.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && !keyfob.logs.join('').includes('back-channel logout')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const delivery = [...idp.events, ...keyfob.logs.filter((line) => line.includes('backchannel'))].join('\n');
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false, delivery);
  assert.equal(await keyfob.app.db.oidcSession.count(), 0);
  assert.match(keyfob.logs.join(''), /"back-channel logout"/);
});
