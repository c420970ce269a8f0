import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REFRESH_FAILURE_COOLDOWN_MS } from '../../src/tokens/access-tokens.ts';
import {
  connectedKeyfob,
  expireStoredAccessTokens,
  sandboxCalls,
  sandboxControl,
  storedGrants,
} from '../helpers/connected.ts';

test('an access token about to expire is refreshed first; both tokens rotate in the database', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const [before] = await storedGrants(keyfob);
  await expireStoredAccessTokens(keyfob);
  const answer = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(answer.status, 200, answer.text);
  const [after] = await storedGrants(keyfob);
  assert.ok(before && after);
  assert.notEqual(after.accessTokenEnc, before.accessTokenEnc);
  assert.notEqual(after.refreshTokenEnc, before.refreshTokenEnc);
  assert.equal(after.version, before.version + 1);
  assert.ok((after.accessExpiresAt?.getTime() ?? 0) > Date.now() + 3600_000);
  assert.equal((await sandboxCalls(keyfob))['token.refresh_token'], 1);
  // The rotated refresh token is the one of record: the next refresh succeeds with it.
  await expireStoredAccessTokens(keyfob);
  assert.equal((await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`)).status, 200);
  assert.equal((await sandboxCalls(keyfob))['token.refresh_token'], 2);
});

test('concurrent requests of one grant share one refresh', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t, { SANDBOX_REFRESH_REUSE_GRACE_SECONDS: '0' });
  await expireStoredAccessTokens(keyfob);
  const ids = [byMake('TESLA').id, byMake('TOYOTA').id];
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => browser.request('GET', `/api/vehicles/${ids[i % 2]}/odometer`)),
  );
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  assert.equal((await sandboxCalls(keyfob))['token.refresh_token'], 1);
});

test('an upstream 401 refreshes once and retries once', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  // The provider's clock moves past the access token's lifetime; Keyfob still believes it valid.
  keyfob.sandbox?.state.clock.advance(7201);
  const answer = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(answer.status, 200, answer.text);
  const calls = await sandboxCalls(keyfob);
  assert.equal(calls['token.refresh_token'], 1);
  assert.equal(calls['api.GET /odometer'], 2, 'the call, then its one retry');
});

test('a refused refresh (invalid_grant) marks the grant reauth_required and says so', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  keyfob.sandbox?.state.clock.advance(61 * 24 * 3600); // past the refresh token's 60 days
  await expireStoredAccessTokens(keyfob);
  const answer = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(answer.status, 401);
  assert.equal(answer.json.error, 'reauth_required');
  assert.equal(answer.json.loginUrl, '/auth/login?provider=smartcar');
  const [grant] = await storedGrants(keyfob);
  assert.equal(grant?.status, 'reauth_required');
  const again = await browser.request('GET', `/api/vehicles/${byMake('TOYOTA').id}/odometer`);
  assert.equal(again.json.error, 'reauth_required', 'the other vehicle of the grant too, without another refresh');
  assert.equal((await sandboxCalls(keyfob))['token.refresh_token'], 1);
  const session = await browser.request('GET', '/auth/session');
  assert.deepEqual(
    session.json.vehicles.map((v: { status: string }) => v.status),
    ['reauth_required', 'reauth_required'],
  );
});

test('a token endpoint failure leaves the stored tokens untouched', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  await expireStoredAccessTokens(keyfob);
  const [before] = await storedGrants(keyfob);
  await sandboxControl(keyfob, 'faults', { target: 'token', kind: 'error', status: 503, count: 1 });
  const failed = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(failed.status, 502);
  assert.equal(failed.json.error, 'upstream_unavailable');
  const [after] = await storedGrants(keyfob);
  assert.deepEqual(after, before, 'nothing changed');
  const cooling = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(cooling.status, 502, 'right after a failure, requests fail fast');
  assert.equal((await sandboxCalls(keyfob))['faulted.token'], 1, 'without another call to the failing provider');
  await new Promise((resolve) => setTimeout(resolve, REFRESH_FAILURE_COOLDOWN_MS + 100));
  const recovered = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(recovered.status, 200, 'the same refresh token works once the provider is back');
});

test('disconnect removes the vehicle at the provider and here; the grant loses its tokens with its last vehicle', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const toyota = byMake('TOYOTA');
  const first = await browser.request('DELETE', `/api/vehicles/${tesla.id}`);
  assert.equal(first.status, 200, first.text);
  assert.equal((await sandboxCalls(keyfob))['api.DELETE /application'], 1);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 404);
  assert.equal(
    (await browser.request('GET', `/api/vehicles/${toyota.id}/odometer`)).status,
    200,
    'the other vehicle keeps working',
  );
  let [grant] = await storedGrants(keyfob);
  assert.ok(grant?.accessTokenEnc, 'tokens kept while a vehicle uses the grant');
  await browser.request('DELETE', `/api/vehicles/${toyota.id}`);
  [grant] = await storedGrants(keyfob);
  assert.equal(grant?.accessTokenEnc, null);
  assert.equal(grant?.refreshTokenEnc, null);
  assert.equal(grant?.status, 'revoked');
  assert.deepEqual((await browser.request('GET', '/api/vehicles')).json.vehicles, []);
});

test('logout ends the session: the old cookie is worthless afterwards', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const cookie = browser.cookies.get('keyfob') as string;
  const out = await browser.request('POST', '/auth/logout');
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /keyfob=;/);
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false);
  browser.cookies.set('keyfob', cookie);
  const stolen = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(stolen.status, 401);
  assert.ok(await keyfob.app.db.grant.count({ where: { status: 'active' } }), 'the vehicles stay connected');
});
