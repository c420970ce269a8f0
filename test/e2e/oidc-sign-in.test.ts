/**
 * Signing in with an OpenID Connect identity provider, against panva's real oidc-provider on a free port: sign-in
 * end to end (identity keyed by issuer and sub, name and email in /auth/session, the provider's tokens encrypted
 * and never in the browser or the logs), a wrong state, nonce or iss refused, cars joining the signed-in user,
 * RP-initiated logout, and each client authentication method.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT } from '../helpers/connected.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  IDP_CLIENT_ID,
  IDP_CLIENT_SECRET,
  IdentityProviderBrowser,
  startIdentityProvider,
} from '../helpers/identity-provider.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

type Options = Parameters<typeof startIdentityProvider>[2] & { env?: NodeJS.ProcessEnv };

async function keyfobWithIdentityProvider(t: TestContext, options: Options = {}) {
  const port = await freePort();
  const keyfobUrl = `http://127.0.0.1:${port}`;
  const idp = await startIdentityProvider(t, keyfobUrl, options);
  const keyfob = await startKeyfobUnderTest(t, {
    PORT: String(port),
    PUBLIC_URL: keyfobUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: IDP_CLIENT_ID,
    ...(options.clientAuth === 'private_key_jwt' ? {} : { OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET }),
    ...options.env,
  });
  return { keyfob, idp };
}

async function signIn(keyfob: { url: string }, account = 'dana', tamper: (url: URL) => void = () => undefined) {
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login', { csrf: false });
  assert.equal(login.status, 302, login.text);
  const authorize = new URL(login.headers.get('location') ?? '');
  tamper(authorize);
  const idp = new IdentityProviderBrowser();
  const back = await idp.signIn(authorize.href, account);
  return { browser, back, idp, authorize };
}

test('sign-in at the identity provider: user keyed by issuer and sub, name and email, tokens encrypted and kept from the browser', async (t) => {
  // oidc-provider keeps profile claims out of the ID token when an access token can fetch them: userinfo is on.
  const { keyfob, idp } = await keyfobWithIdentityProvider(t, { env: { OIDC_USERINFO: 'true', LOG_LEVEL: 'trace' } });
  const { browser, back, authorize } = await signIn(keyfob);
  const before = browser.cookies.get('keyfob');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorize.searchParams.get('nonce') && authorize.searchParams.get('state'));
  assert.ok(back.searchParams.get('iss'), 'the provider sends iss (RFC 9207)');
  const callback = await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
  assert.equal(callback.headers.get('location'), '/');
  assert.notEqual(browser.cookies.get('keyfob'), before, 'a new session id at sign-in (no fixation)');
  const session = (await browser.request('GET', '/auth/session')).json;
  assert.equal(session.authenticated, true);
  assert.equal(session.signIn, 'oidc');
  assert.deepEqual(
    { name: session.user.name, email: session.user.email },
    { name: 'Staff dana', email: 'dana@fleet.example' },
  );
  const identity = await keyfob.app.db.identity.findFirstOrThrow();
  assert.deepEqual(
    [identity.kind, identity.issuer, identity.subject, identity.userId],
    ['oidc', idp.issuer, 'dana', session.user.id],
  );

  // A car joins the signed-in user; without a sign-in, connecting is refused.
  await browser.connect({ account: ALEX_ACCOUNT, vehicles: ['3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11'] });
  const after = (await browser.request('GET', '/auth/session')).json;
  assert.equal(after.user.id, session.user.id);
  assert.equal(after.vehicles.length, 1);
  const stranger = await new Browser(keyfob.url).request('GET', '/auth/login?provider=smartcar', { csrf: false });
  assert.equal(stranger.status, 401);
  assert.equal(stranger.json.error, 'sign_in_required');

  const row = await keyfob.app.db.oidcSession.findFirstOrThrow();
  assert.ok(row.sid, 'the provider session id is kept for back-channel logout');
  await browser.request('GET', '/api/vehicles');
  const logout = await browser.request('POST', '/auth/logout');
  // RP-initiated logout sends the ID token through the browser as id_token_hint (the protocol's design), once the
  // Keyfob session has ended; that one place aside, no token of the provider's reaches the browser.
  const hint = new URL(logout.json.endSessionUrl).searchParams.get('id_token_hint') ?? '';
  assert.ok(idp.issued.includes(hint));

  // Every token the provider issued: in the database only as ciphertext, never seen by the browser, never logged.
  assert.ok(idp.issued.length >= 2, `tokens to look for (${idp.issued.length})`);
  const seen = browser.everythingSeen().replaceAll(encodeURIComponent(hint), '').replaceAll(hint, '');
  const logs = keyfob.logs.join('');
  const dump = JSON.stringify(
    await keyfob.app.db.$queryRawUnsafe('SELECT row_to_json(t)::text AS row FROM oidc_sessions t'),
  );
  for (const secret of [...idp.issued, IDP_CLIENT_SECRET]) {
    assert.ok(!seen.includes(secret), 'the browser saw an identity provider secret');
    assert.ok(!logs.includes(secret), 'the logs hold an identity provider secret');
    assert.ok(!dump.includes(secret), 'the database holds an identity provider secret in plaintext');
  }
});

test('a wrong state, nonce or iss is refused and signs nobody in', async (t) => {
  const { keyfob } = await keyfobWithIdentityProvider(t);
  const refused = async (browser: Browser, back: URL) => {
    const answer = await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    const session = (await browser.request('GET', '/auth/session')).json;
    assert.equal(session.authenticated, false);
    return answer;
  };
  // nonce: the identity provider is asked for another nonce than the one this browser's login holds.
  const wrongNonce = await signIn(keyfob, 'dana', (url) => url.searchParams.set('nonce', 'not-the-one'));
  const nonceAnswer = await refused(wrongNonce.browser, wrongNonce.back);
  assert.equal(nonceAnswer.headers.get('location'), '/?connect_error=sign_in_refused');
  // iss: the answer claims another issuer (a mix-up attack).
  const wrongIss = await signIn(keyfob);
  wrongIss.back.searchParams.set('iss', 'https://evil.example');
  assert.equal(
    (await refused(wrongIss.browser, wrongIss.back)).headers.get('location'),
    '/?connect_error=sign_in_refused',
  );
  // state: not one this browser is waiting for.
  const wrongState = await signIn(keyfob);
  wrongState.back.searchParams.set('state', 'forged');
  assert.equal((await refused(wrongState.browser, wrongState.back)).status, 400);
  assert.equal(await keyfob.app.db.oidcSession.count(), 0);
});

test('an ID token signed by a foreign key, expired, or for another audience is refused', async (t) => {
  const { keyfob, idp } = await keyfobWithIdentityProvider(t);
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, Parameters<typeof idp.tamperWithNextIdToken>[0]]> = [
    ['signed by a foreign key', { foreignKey: true }],
    ['expired', { claims: { iat: now - 7200, exp: now - 3600 } }],
    ['for another audience', { claims: { aud: 'another-client', azp: 'another-client' } }],
    ['from another issuer', { claims: { iss: 'https://evil.example' } }],
  ];
  for (const [what, changes] of cases) {
    const { browser, back } = await signIn(keyfob);
    idp.tamperWithNextIdToken(changes);
    const answer = await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    assert.equal(answer.headers.get('location'), '/?connect_error=sign_in_refused', what);
    assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false, what);
  }
  assert.equal(await keyfob.app.db.oidcSession.count(), 0);
  // The same relay passing the answer through unchanged: the sign-in works.
  const { browser, back } = await signIn(keyfob);
  assert.equal(
    (await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false })).headers.get('location'),
    '/',
  );
});

test('RP-initiated logout ends the Keyfob session and answers the provider end-session URL', async (t) => {
  const { keyfob, idp } = await keyfobWithIdentityProvider(t);
  const { browser, back, idp: idpBrowser } = await signIn(keyfob);
  await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
  const logout = await browser.request('POST', '/auth/logout');
  assert.equal(logout.status, 200);
  const endSession = new URL(logout.json.endSessionUrl);
  assert.equal(endSession.origin, idp.issuer);
  assert.ok(endSession.searchParams.get('id_token_hint'));
  assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${keyfob.url}/`);
  assert.ok(endSession.searchParams.get('state'));
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false);
  assert.equal(await keyfob.app.db.oidcSession.count(), 0);
  // The provider accepts it (its logout confirmation page), so the hint and redirect are what it expects.
  const page = await idpBrowser.get(endSession.href);
  assert.equal(page.status, 200, await page.text());
});

for (const [method, options] of [
  ['client_secret_post', { clientAuth: 'client_secret_post', env: { OIDC_CLIENT_AUTH: 'client_secret_post' } }],
  ['client_secret_basic with ES256 ID tokens', { idTokenAlg: 'ES256' }],
] as Array<[string, Options]>) {
  test(`client authentication: ${method}`, async (t) => {
    const { keyfob } = await keyfobWithIdentityProvider(t, options);
    const { browser, back } = await signIn(keyfob);
    const callback = await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    assert.equal(callback.headers.get('location'), '/');
    assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true);
  });
}

test('client authentication: private_key_jwt', async (t) => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { keyfob } = await keyfobWithIdentityProvider(t, {
    clientAuth: 'private_key_jwt',
    clientPublicKey: keys.publicKey,
    env: {
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
  });
  const { browser, back } = await signIn(keyfob);
  const callback = await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
  assert.equal(callback.headers.get('location'), '/');
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true);
});

test("OIDC_SCOPES_CLAIM: a person holds the scopes the identity provider's claim names, within USER_SCOPES", async (t) => {
  const { keyfob } = await keyfobWithIdentityProvider(t, {
    roles: { dana: ['vehicle.read_list', 'vehicle.read_status', 'vehicle.write_command', 'admin'], eve: [] },
    env: {
      OIDC_USERINFO: 'true',
      OIDC_SCOPES_CLAIM: 'realm_access.roles',
      USER_SCOPES: 'vehicle.read_list vehicle.read_status vehicle.read_location',
    },
  });
  const signedIn = async (account: string) => {
    const { browser, back } = await signIn(keyfob, account);
    await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    const callback = await browser.connect({ account: ALEX_ACCOUNT });
    assert.equal(callback.status, 302);
    return browser;
  };
  const dana = await signedIn('dana');
  const session = (await dana.request('GET', '/auth/session')).json;
  // write_command is in the claim but not in USER_SCOPES; read_location in USER_SCOPES but not in the claim.
  assert.deepEqual(session.scopes, ['vehicle.read_list', 'vehicle.read_status']);
  const tesla = session.vehicles.find((vehicle: { make: string }) => vehicle.make === 'TESLA');
  assert.equal((await dana.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200);
  assert.equal((await dana.request('GET', `/api/vehicles/${tesla.id}/location`)).status, 403);
  const lock = await dana.request('POST', `/api/vehicles/${tesla.id}/security`, { body: { action: 'LOCK' } });
  assert.deepEqual([lock.status, lock.json.missingScopes], [403, ['vehicle.write_command']]);
  // A person the claim names nothing for holds nothing.
  const eve = await signedIn('eve');
  assert.deepEqual((await eve.request('GET', '/auth/session')).json.scopes, []);
  assert.equal((await eve.request('GET', '/api/vehicles')).status, 403);
});
