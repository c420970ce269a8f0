/**
 * One refresh per grant across instances: two Keyfob processes on one Postgres and one Redis, the sandbox in
 * strict reuse mode (a reused refresh token revokes the grant), 200 concurrent requests for one vehicle whose
 * access token has expired.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from '../helpers/browser.ts';
import { cluster, needsServers, STORM, storedIsNewest } from '../helpers/keyfob-cluster.ts';

for (const provider of ['smartcar', 'highmobility'] as const) {
  test(`200 concurrent requests over two instances: one refresh, all answered, the newest pair stored (${provider})`, async (t) => {
    if (needsServers(t)) return;
    const c = await cluster(t, 2, 0, {}, provider);
    await c.expireAccessToken();
    const before = await c.stored();
    const storm = await c.storm();
    assert.deepEqual(
      [...new Set(storm.statuses)],
      [200],
      JSON.stringify(storm.answers.find((a) => a.status !== 200)?.json),
    );
    assert.equal(c.refreshCalls(), 1);
    const after = await c.stored();
    assert.equal(after.status, 'active');
    assert.equal(after.version, before.version + 1);
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.ok(await c.storedIsNewest(after.refreshToken), 'the stored refresh token is the newest');
    t.diagnostic(`refresh storm (${provider}): ${STORM} requests over 2 instances in ${Math.round(storm.ms)} ms`);
  });
}

test('a token endpoint slower than any lock default (3 s) still gives one refresh and no failure', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t);
  await c.expireAccessToken();
  c.sandbox.state.faults.add('token', { kind: 'slow', delayMs: 3000 }, 1);
  const storm = await c.storm();
  assert.deepEqual([...new Set(storm.statuses)], [200]);
  assert.equal(c.refreshCalls(), 1);
  assert.ok(storm.ms >= 3000);
  assert.ok(await storedIsNewest(c.sandbox.url, c.clientSecret, (await c.stored()).refreshToken));
});

test('a token endpoint failing with 5xx: clear 502s, tokens intact, then recovery', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t);
  await c.expireAccessToken();
  const before = await c.stored();
  c.sandbox.state.faults.add('token', { kind: 'error', status: 503 }, 10);
  const storm = await c.storm();
  assert.ok(
    storm.statuses.every((status) => status === 502),
    [...new Set(storm.statuses)].join(),
  );
  assert.ok(storm.answers.every((answer) => answer.json.error === 'upstream_unavailable'));
  const attempts = c.sandbox.state.calls.get('faulted.token');
  assert.ok(attempts >= 1 && attempts <= 4, `a storm against a failing provider is a few attempts, not ${attempts}`);
  assert.deepEqual(await c.stored(), before, 'the stored pair is untouched');
  c.sandbox.state.faults.clear();
  await sleep(2100); // the failure cool-down
  const recovered = await c.storm();
  assert.deepEqual([...new Set(recovered.statuses)], [200]);
  assert.equal(c.refreshCalls(), 1);
});

for (const mode of ['strict', 'grace'] as const) {
  test(`an instance killed between the provider's answer and the store (${mode} reuse): a clear state, no loop`, async (t) => {
    if (needsServers(t)) return;
    const c = await cluster(t, 2, mode === 'strict' ? 0 : 60);
    await c.expireAccessToken();
    // The provider rotates the pair at once but holds its answer back; the instance dies before hearing it.
    c.sandbox.state.faults.add('token', { kind: 'slow_answer', delayMs: 3000 }, 1);
    const [victim, survivor] = c.processes;
    const doomed = (c.browsers[0] as Browser)
      .request('GET', `/api/vehicles/${c.tesla}/odometer`)
      .catch(() => undefined);
    while (c.refreshCalls() === 0) await sleep(20);
    victim?.child.kill('SIGKILL');
    await victim?.exited;
    await doomed;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => (c.browsers[1] as Browser).request('GET', `/api/vehicles/${c.tesla}/odometer`)),
    );
    const state = await c.stored();
    if (mode === 'strict') {
      // The survivor presents the refresh token the dead instance used: reuse, the provider revokes the grant.
      assert.equal(state.status, 'reauth_required');
      assert.ok(answers.every((a) => a.status === 401 && a.json.error === 'reauth_required'));
    } else {
      // Within the grace period the old refresh token works once more: the survivor stores a fresh pair.
      assert.equal(state.status, 'active');
      assert.ok(answers.every((a) => a.status === 200));
    }
    assert.equal(c.refreshCalls(), 2, 'the dead instance and one retry by the survivor');
    await Promise.all(
      Array.from({ length: 20 }, () => (c.browsers[1] as Browser).request('GET', `/api/vehicles/${c.tesla}/odometer`)),
    );
    assert.equal(c.refreshCalls(), 2, 'no silent loop of refreshes');
    assert.equal(survivor?.child.exitCode, null, 'the survivor keeps serving');
  });
}
