/**
 * The rate-limit counter store shared by instances through Redis: exact on one instance, settled across instances
 * within a flush interval, windows that end, and counting that carries on (and is reported later) while Redis is
 * away.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRateLimitCounters } from '../../src/security/rate-limit-counters.ts';
import { startTcpRelay } from '../helpers/tcp-relay.ts';

const FLUSH_MS = 50;

function instance(t: TestContext, redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  redis.on('error', () => undefined);
  const batched = createRateLimitCounters(redis, { prefix, flushMs: FLUSH_MS });
  t.after(async () => {
    await batched.close().catch(() => undefined);
    redis.disconnect();
  });
  const incr = async (key: string, windowMs = 60_000) => batched.count(key, windowMs);
  return { incr, redis };
}

const needsRedis = (t: TestContext) => {
  if (process.env.REDIS_URL) return false;
  t.skip('needs REDIS_URL: the store settles its counts in Redis');
  return true;
};

test("one instance counts exactly; two instances learn each other's counts when they settle", async (t) => {
  if (needsRedis(t)) return;
  const prefix = `keyfob:test-rate:${randomBytes(4).toString('hex')}:`;
  const a = instance(t, process.env.REDIS_URL as string, prefix);
  const b = instance(t, process.env.REDIS_URL as string, prefix);
  const counts = [];
  for (let i = 0; i < 5; i++) counts.push((await a.incr('ip:10.0.0.1')).current);
  assert.deepEqual(counts, [1, 2, 3, 4, 5]);
  await sleep(FLUSH_MS * 4);
  assert.equal(await a.redis.get(`${prefix}ip:10.0.0.1`), '5', 'settled in Redis');
  await b.incr('ip:10.0.0.1');
  await sleep(FLUSH_MS * 4);
  assert.equal((await b.incr('ip:10.0.0.1')).current, 7, 'B knows about A once settled');
  await sleep(FLUSH_MS * 4);
  // A learns the other instances' counts when it settles its own: its first call after a quiet spell decides on
  // what it knew, the next ones on the total.
  assert.equal((await a.incr('ip:10.0.0.1')).current, 6, 'a quiet instance decides on what it last knew');
  await sleep(FLUSH_MS * 4);
  assert.equal((await a.incr('ip:10.0.0.1')).current, 9, 'and on the total of both after its next settlement');
  const ttl = Number(await a.redis.pttl(`${prefix}ip:10.0.0.1`));
  assert.ok(ttl > 50_000 && ttl <= 60_000, `the key expires with its window (${ttl} ms)`);
});

test('a window ends: counting starts again', async (t) => {
  if (needsRedis(t)) return;
  const prefix = `keyfob:test-rate:${randomBytes(4).toString('hex')}:`;
  const a = instance(t, process.env.REDIS_URL as string, prefix);
  await a.incr('session:s', 300);
  const second = await a.incr('session:s', 300);
  assert.equal(second.current, 2);
  assert.ok(second.ttlMs <= 300);
  await sleep(400);
  assert.equal((await a.incr('session:s', 300)).current, 1);
});

test('while Redis is away the instance keeps counting, and reports the counts when it returns', async (t) => {
  if (needsRedis(t)) return;
  const relay = await startTcpRelay(t, {
    host: '127.0.0.1',
    port: Number(new URL(process.env.REDIS_URL as string).port || 6379),
  });
  const prefix = `keyfob:test-rate:${randomBytes(4).toString('hex')}:`;
  const a = instance(t, relay.url(process.env.REDIS_URL as string), prefix);
  const observer = new Redis(process.env.REDIS_URL as string);
  t.after(() => observer.quit());
  await a.incr('ip:10.0.0.2');
  await sleep(FLUSH_MS * 4);
  await relay.cut();
  const during = [];
  for (let i = 0; i < 3; i++) during.push((await a.incr('ip:10.0.0.2')).current);
  assert.deepEqual(during, [2, 3, 4], 'limits still apply on what this instance sees');
  await sleep(FLUSH_MS * 4);
  await relay.restore();
  for (let i = 0; i < 100 && (await observer.get(`${prefix}ip:10.0.0.2`)) !== '4'; i++) await sleep(100);
  assert.equal(await observer.get(`${prefix}ip:10.0.0.2`), '4', 'nothing counted during the outage was lost');
});

test('without Redis: counted in memory, exactly, and a window ends', async () => {
  const counters = createRateLimitCounters(null, { prefix: 'unused:' });
  const counts = [1, 2, 3].map(() => counters.count('ip:10.0.0.9', 200).current);
  assert.deepEqual(counts, [1, 2, 3]);
  assert.equal(counters.count('ip:10.0.0.10', 200).current, 1, 'keys are counted apart');
  await sleep(250);
  assert.equal(counters.count('ip:10.0.0.9', 200).current, 1, 'a new window starts from one');
  await counters.close();
});
