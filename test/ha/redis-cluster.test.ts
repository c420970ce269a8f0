/**
 * A Redis Cluster of three primaries with the real servers (redis-server --cluster-enabled). Two Keyfob instances
 * use it (REDIS_CLUSTER_NODES) while a third of the slots, and the keys in them (sessions, rate-limit counters),
 * move from one primary to another under traffic (redis-cli --cluster reshard): ioredis follows the MOVED and ASK
 * redirections, so no call fails, no session is lost, and the live stream's fan-out (pub/sub, which a cluster
 * broadcasts to every node) still crosses instances.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cluster } from '../helpers/keyfob-cluster.ts';
import { openStream } from '../helpers/live-stream.ts';
import { needsRedisBinaries, startRedisCluster } from '../helpers/redis-topologies.ts';
import { TESLA_AT_SMARTCAR } from '../helpers/smartcar-webhook.ts';
import { startTraffic } from '../helpers/traffic.ts';

test('Redis Cluster: slots and their keys migrate under traffic; no call fails, sessions and fan-out survive', async (t) => {
  if (needsRedisBinaries(t, false)) return;
  const redis = await startRedisCluster(t);
  const keyfobs = await cluster(t, 2, 0, redis.env, 'smartcar', 1);
  const stream = await openStream(keyfobs.processes[0]?.url as string, keyfobs.browsers[0] as never);
  t.after(() => stream.close());
  const before = await redis.keysPerNode();
  t.diagnostic(`keys per node before: ${before.join(', ')}`);

  const traffic = startTraffic(keyfobs.browsers, `/api/vehicles/${keyfobs.tesla}/odometer`);
  await sleep(1_000);
  const started = Date.now();
  await redis.reshard(5461);
  const reshardMs = Date.now() - started;
  await sleep(1_500);
  await traffic.stop();
  const after = await redis.keysPerNode();
  const summary = traffic.summary();
  t.diagnostic(
    `cluster reshard of 5461 slots took ${reshardMs} ms under ${summary.total} calls: ${summary.failed} failed; ` +
      `keys per node after: ${after.join(', ')}`,
  );
  assert.equal(summary.failed, 0, `no call failed (${summary.failedCodes.join(', ')})`);
  assert.deepEqual(summary.other, []);
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
