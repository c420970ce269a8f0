/**
 * An upgrade keeps users signed in: sessions that @fastify/session wrote (an earlier Keyfob) are read by the
 * session code of today. A signed-in one without `lastSeenAt` counts its idle time from sign-in; an anonymous one
 * without `createdAt` is no session (its cookie is cleared), never an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { connectedKeyfob } from '../helpers/connected.ts';

test('sessions written by @fastify/session before an upgrade still work, or end cleanly', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('REDIS_URL is not set: the test writes a stored session into Redis as the earlier version did');
    return;
  }
  const { browser } = await connectedKeyfob(t);
  const redis = new Redis(process.env.REDIS_URL);
  t.after(() => redis.quit());
  const cookie = browser.cookies.get('keyfob') ?? '';
  const sessionId = decodeURIComponent(cookie).split('.')[0] ?? '';
  const key = `keyfob:session:${sessionId}`;
  const stored = JSON.parse((await redis.get(key)) ?? '{}') as { userId: string; createdAt: number };
  const legacyCookie = { originalMaxAge: 7_200_000, expires: new Date(Date.now() + 7_200_000), httpOnly: true };
  const replace = async (value: object) => {
    await redis.set(key, JSON.stringify(value), 'PX', 60_000);
    await redis.publish('keyfob:invalidate', JSON.stringify({ kind: 'session', id: sessionId }));
    await new Promise((resolve) => setTimeout(resolve, 100));
  };

  await replace({ cookie: legacyCookie, userId: stored.userId, createdAt: stored.createdAt, storedBefore: true });
  assert.equal((await browser.request('GET', '/api/vehicles')).status, 200, 'a signed-in legacy session works');

  await replace({ cookie: legacyCookie, pendingLogins: [], storedBefore: true });
  const anonymous = await browser.request('GET', '/api/vehicles');
  assert.equal(anonymous.status, 401, 'an anonymous legacy session is no session');
  assert.equal(browser.cookies.size, 0, 'and its cookie is cleared');
});
