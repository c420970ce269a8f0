/**
 * Attacks on the sign-in flow beyond those of test/e2e/connect-flow.test.ts (forged, missing, replayed and
 * other-browser states; an error callback without state; returnTo to another site).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, SAM_ACCOUNT } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { consent } from '../helpers/sandbox-flow.ts';

const PENDING_LOGIN_LIFETIME_MS = 10 * 60_000;

test('an expired state is refused: a callback arriving after 10 minutes stores nothing', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const login = await browser.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const callback = await consent(login.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + PENDING_LOGIN_LIFETIME_MS + 1000 });
  const late = await browser.request('GET', callback.pathname + callback.search, { csrf: false });
  t.mock.timers.reset();
  assert.equal(late.status, 400);
  assert.equal(late.json.error, 'invalid_state');
  assert.equal(await keyfob.app.db.grant.count(), 0);
});

test("a code from one browser's flow, injected into another browser's own flow, is refused by PKCE", async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const victim = new Browser(keyfob.url);
  const victimLogin = await victim.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const victimCallback = await consent(victimLogin.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  // The attacker starts a flow of its own (a state its session really waits for) and swaps in the victim's code.
  const attacker = new Browser(keyfob.url);
  const attackerLogin = await attacker.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const attackerState = new URL(attackerLogin.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const injected = await attacker.request(
    'GET',
    `/auth/callback?code=${victimCallback.searchParams.get('code')}&state=${attackerState}`,
    { csrf: false },
  );
  assert.equal(injected.status, 302);
  assert.equal(injected.headers.get('location'), '/?connect_error=code_rejected');
  assert.equal((await attacker.request('GET', '/auth/session')).json.authenticated, false);
  assert.equal(await keyfob.app.db.grant.count(), 0, 'the attacker got no connection');
  assert.equal(await keyfob.app.db.user.count(), 0);
});

test('returnTo: schemes, scheme-relative, backslashes, encoded separators and control characters all fall back to /', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const hostile = [
    '//evil.example',
    '///evil.example',
    'https://evil.example/',
    'https:evil.example',
    'HTTPS://evil.example',
    'javascript:alert(1)',
    'data:text/html,x',
    '/\\evil.example',
    '\\\\evil.example',
    '/%2F%2Fevil.example',
    '/%2fevil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '/%252F%252Fevil.example',
    '/\t/evil.example',
    '/%09/evil.example',
    '/ok\r\nSet-Cookie: a=b',
    '/ok%0d%0aSet-Cookie:%20a=b',
    '/\u0000/evil.example',
    '/\u2028/evil.example',
    ' //evil.example',
    `/${'a'.repeat(600)}`,
  ];
  const browser = new Browser(keyfob.url);
  for (const returnTo of hostile) {
    const login = await browser.request(
      'GET',
      `/auth/login?provider=smartcar&returnTo=${encodeURIComponent(returnTo)}`,
      {
        csrf: false,
      },
    );
    assert.equal(login.status, 302, JSON.stringify(returnTo));
    const callback = await consent(login.headers.get('location') ?? '', { account: SAM_ACCOUNT });
    const back = await browser.request('GET', callback.pathname + callback.search, { csrf: false });
    assert.equal(back.headers.get('location'), '/', JSON.stringify(returnTo));
  }
  const fine = await browser.connect({ account: SAM_ACCOUNT }, '/vehicles?tab=charge');
  assert.equal(fine.headers.get('location'), '/vehicles?tab=charge', 'a same-origin path is kept');
});
