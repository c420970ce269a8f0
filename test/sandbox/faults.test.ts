import assert from 'node:assert/strict';
import { test } from 'node:test';
import { obtainTokens, sandboxFixture, TESLA, tokenRequest } from './sandbox-fixture.ts';

async function control(sandboxUrl: string, path: string, body: unknown, method = 'POST') {
  const response = await fetch(`${sandboxUrl}/sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('error faults answer 5xx for the next N calls, then the endpoint recovers', async (t) => {
  const sandbox = await sandboxFixture(t);
  const tokens = await obtainTokens(sandbox.url);
  await control(sandbox.url, 'faults', { target: 'token', kind: 'error', status: 503, count: 2 });
  const refresh = () => tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  assert.equal((await refresh()).status, 503);
  assert.equal((await refresh()).status, 503);
  assert.equal((await refresh()).status, 200, 'the faults did not consume the refresh token');
  const calls = (await (await fetch(`${sandbox.url}/sandbox/calls`)).json()) as Record<string, number>;
  assert.equal(calls['faulted.token'], 2);
  assert.equal(calls['token.refresh_token'], 1);
});

test('slow faults delay the answer', async (t) => {
  const sandbox = await sandboxFixture(t);
  const tokens = await obtainTokens(sandbox.url);
  await control(sandbox.url, 'faults', { target: 'api', kind: 'slow', delayMs: 400, count: 1 });
  const started = performance.now();
  const response = await fetch(`${sandbox.url}/v2.0/vehicles/${TESLA}/odometer`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(response.status, 200);
  assert.ok(performance.now() - started >= 390);
});

test('drop faults cut the connection without an answer', async (t) => {
  const sandbox = await sandboxFixture(t);
  await control(sandbox.url, 'faults', { target: 'app_token', kind: 'drop', count: 1 });
  await assert.rejects(
    fetch(`${sandbox.url}/oauth2/token`, { method: 'POST', body: 'grant_type=client_credentials' }),
    /fetch failed/,
  );
});

test('the control API refuses malformed faults and settings, and applies valid settings', async (t) => {
  const sandbox = await sandboxFixture(t);
  assert.equal((await control(sandbox.url, 'faults', { target: 'moon', kind: 'error' })).status, 400);
  assert.equal((await control(sandbox.url, 'faults', { target: 'api', kind: 'slow' })).status, 400);
  assert.equal((await control(sandbox.url, 'settings', { pkce: 'sometimes' }, 'PATCH')).status, 400);
  assert.equal((await control(sandbox.url, 'settings', { unknownSetting: 1 }, 'PATCH')).status, 400);
  const changed = await control(sandbox.url, 'settings', { refreshReuseGraceSeconds: 0 }, 'PATCH');
  assert.equal(changed.body.refreshReuseGraceSeconds, 0);
  assert.equal(sandbox.state.settings.refreshReuseGraceSeconds, 0);
});
