/**
 * The provider's token endpoint and API slow, dropping connections, failing with 5xx or asking to slow down
 * (429): bounded waits, a clear 502 / 504 / 429 with the provider's retry-after, and the stored tokens untouched.
 * (API 5xx, drops and slowness: test/e2e/proxy-routes.test.ts; a token endpoint 5xx: token-lifecycle.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REFRESH_FAILURE_COOLDOWN_MS } from '../../src/tokens/access-tokens.ts';
import {
  connectedKeyfob,
  expireStoredAccessTokens,
  sandboxCalls,
  sandboxControl,
  storedGrants,
} from '../helpers/connected.ts';

const TIMEOUT_MS = 500;

test('token endpoint slow, dropping or rate limiting: 504, 502, 429 with its retry-after; tokens untouched, then recovery', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t, { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) });
  const odometer = `/api/vehicles/${byMake('TESLA').id}/odometer`;
  const cases = [
    { fault: { kind: 'slow', delayMs: 3_000 }, status: 504, error: 'upstream_timeout' },
    { fault: { kind: 'drop' }, status: 502, error: 'upstream_unavailable' },
    {
      fault: { kind: 'error', status: 429, retryAfterSeconds: 17 },
      status: 429,
      error: 'rate_limited',
      retryAfter: '17',
    },
    { fault: { kind: 'error', status: 502 }, status: 502, error: 'upstream_unavailable' },
  ] as const;
  for (const { fault, status, error, ...rest } of cases) {
    await expireStoredAccessTokens(keyfob);
    const before = await storedGrants(keyfob);
    await sandboxControl(keyfob, 'faults', { target: 'token', count: 1, ...fault });
    const started = Date.now();
    const answer = await browser.request('GET', odometer);
    const took = Date.now() - started;
    assert.equal(answer.status, status, `${fault.kind}: ${answer.text}`);
    assert.equal(answer.json.error, error);
    if ('retryAfter' in rest)
      assert.equal(answer.headers.get('retry-after'), rest.retryAfter, "the provider's retry-after");
    assert.ok(took < TIMEOUT_MS + 2_000, `${fault.kind}: answered in ${took} ms, bounded by the upstream timeout`);
    assert.deepEqual(await storedGrants(keyfob), before, `${fault.kind}: the stored tokens are untouched`);
    await sleep(REFRESH_FAILURE_COOLDOWN_MS + 100);
  }
  await sleep(3_000); // until the slow call has ended at the sandbox too
  const recovered = await browser.request('GET', odometer);
  assert.equal(recovered.status, 200, 'the same refresh token works once the provider is back');
  const calls = await sandboxCalls(keyfob);
  assert.equal(calls['faulted.token'], 4, 'each fault was met once: the cool-down kept requests off the provider');
  assert.equal(
    calls['token.refresh_token'],
    1,
    'one refresh succeeded (the timed-out call was abandoned by both sides)',
  );
});

test('the API asking to slow down: 429 with its retry-after, without a refresh or a retry', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  await sandboxControl(keyfob, 'faults', { target: 'api', kind: 'error', status: 429, retryAfterSeconds: 42 });
  const before = await sandboxCalls(keyfob);
  const answer = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/odometer`);
  assert.equal(answer.status, 429);
  assert.equal(answer.headers.get('retry-after'), '42');
  const after = await sandboxCalls(keyfob);
  assert.equal(after['faulted.api'], (before['faulted.api'] ?? 0) + 1, 'one call upstream, not retried');
  assert.equal(after['token.refresh_token'], before['token.refresh_token'], 'no refresh');
});
