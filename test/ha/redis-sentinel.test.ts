/**
 * Redis Sentinel with the real servers: a primary, a replica and three sentinels. Two Keyfob instances use them
 * (REDIS_SENTINELS); the primary is killed while browsers call through both instances and refreshes happen. The
 * sentinels promote the replica and Keyfob follows: sessions, the refresh rule (one use of each refresh token, the
 * sandbox in strict reuse mode) and the live stream's fan-out across instances all survive. It prints the window
 * in which calls failed and how many did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cluster } from '../helpers/keyfob-cluster.ts';
import { openStream } from '../helpers/live-stream.ts';
import { needsRedisBinaries, startSentinelGroup, until } from '../helpers/redis-topologies.ts';
import { TESLA_AT_SMARTCAR } from '../helpers/smartcar-webhook.ts';
import { startTraffic } from '../helpers/traffic.ts';

test('Redis Sentinel: the primary killed under traffic; sessions, single refreshes and the live stream carry on', async (t) => {
  if (needsRedisBinaries(t, true)) return;
  const group = await startSentinelGroup(t);
  // Strict reuse detection at the sandbox: a refresh token used twice would revoke the grant. Webhooks go to the
  // second instance; the live stream is open on the first.
  const keyfobs = await cluster(t, 2, 0, group.env, 'smartcar', 1);
  const [first] = keyfobs.processes;
  const stream = await openStream(first?.url as string, keyfobs.browsers[0] as never);
  t.after(() => stream.close());

  const traffic = startTraffic(keyfobs.browsers, `/api/vehicles/${keyfobs.tesla}/odometer`);
  // Refreshes keep happening: the stored access token is made to look expired every 700 ms.
  let expiring = true;
  const expiry = (async () => {
    while (expiring) {
      await keyfobs.expireAccessToken().catch(() => undefined);
      await sleep(700);
    }
  })();
  await sleep(2_000);
  const killedAt = Date.now();
  await group.killPrimary();
  await until('the sentinels promote the replica', async () => (await group.currentPrimary()) === group.replicaPort);
  const promotedMs = Date.now() - killedAt;
  // Calls flow again through the new primary; then a while of steady traffic.
  await until('calls answered again', async () => traffic.answers.at(-1)?.status === 200, 30_000);
  await sleep(3_000);
  expiring = false;
  await expiry;
  await traffic.stop();

  const summary = traffic.summary();
  const lastFailure = [...traffic.answers].reverse().find((answer) => answer.status === 0 || answer.status >= 500);
  t.diagnostic(
    `sentinel failover: promoted ${promotedMs} ms after the kill; ${summary.failed} of ${summary.total} calls failed ` +
      `(${summary.failedCodes.join(', ') || 'none'}) over ${summary.windowMs} ms; calls ok again ` +
      `${lastFailure ? lastFailure.at - killedAt : 0} ms after the kill`,
  );
  assert.deepEqual(summary.other, [], 'no session lost, no connection lost: only 200s and the outage 503s');
  assert.ok(
    summary.failedCodes.every((code) => code.startsWith('503')),
    'a session store outage is a 503',
  );
  assert.ok(summary.windowMs < 15_000, `calls failed for ${summary.windowMs} ms only`);
  const tail = traffic.answers.filter((answer) => answer.at > Date.now() - 2_500);
  assert.ok(tail.length > 20 && tail.every((answer) => answer.status === 200), 'steady after the failover');

  // One use of each refresh token: the grant is alive and its stored refresh token is the newest.
  assert.ok((keyfobs.refreshCalls() ?? 0) >= 2, 'refreshes happened around the failover');
  const stored = await keyfobs.stored();
  assert.equal(stored.status, 'active');
  assert.ok(await keyfobs.storedIsNewest(stored.refreshToken), 'the stored refresh token is the newest');

  // The session works on both instances, and a webhook received by the second reaches the stream on the first.
  for (const browser of keyfobs.browsers) {
    assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true);
  }
  await fetch(`${keyfobs.sandbox.url}/sandbox/webhooks/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vehicleId: TESLA_AT_SMARTCAR }),
  });
  for (;;) {
    const event = await stream.next(10_000);
    assert.ok(event, 'the stream is still open');
    if (event.event === 'signals') break;
  }
});
