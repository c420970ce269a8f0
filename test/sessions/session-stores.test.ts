import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { createMemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { createRedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import type { SessionData, SessionStore } from '../../src/sessions/session-store.ts';

const data = (changes: Partial<SessionData>): SessionData => ({
  createdAt: Date.now(),
  lastSeenAt: Date.now(),
  ...changes,
});

async function contract(store: SessionStore) {
  const id = randomUUID();
  assert.equal(await store.save(id, data({ userId: 'u1' }), 60_000, 'create'), true);
  assert.equal((await store.load(id))?.userId, 'u1');
  assert.equal(await store.save(id, data({ userId: 'other' }), 60_000, 'create'), false, 'create never overwrites');
  assert.equal((await store.load(id))?.userId, 'u1');

  // A request in flight loaded the session before logout and saves it after: it must not come back.
  await store.destroy(id);
  assert.equal(await store.save(id, data({ userId: 'u1-stale' }), 60_000, 'update'), false);
  assert.equal(await store.load(id), null, 'a destroyed session stays destroyed');

  // A session that still exists is updated normally.
  const other = randomUUID();
  await store.save(other, data({ userId: 'u2' }), 60_000, 'create');
  assert.equal(await store.save(other, data({ userId: 'u2-updated' }), 60_000, 'update'), true);
  assert.equal((await store.load(other))?.userId, 'u2-updated');

  // Every session saved as signed in to a user is found by the user (how an erasure ends them all).
  const elsewhere = randomUUID();
  await store.save(elsewhere, data({ userId: 'u2' }), 60_000, 'create');
  assert.deepEqual((await store.sessionsOf('u2')).sort(), [other, elsewhere].sort());
  assert.deepEqual(await store.sessionsOf('nobody'), []);

  // A session expires with its time to live.
  const short = randomUUID();
  await store.save(short, data({ userId: 'u3' }), 1000, 'create');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(await store.load(short), null, 'an expired session is gone');
}

test('memory store: create, update, no resurrection after destroy, index by user, expiry', async () => {
  await contract(createMemorySessionStore());
});

test('redis store: create, update, no resurrection after destroy, index by user, expiry', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('REDIS_URL is not set: the Redis session store needs a Redis server');
    return;
  }
  const redis = new Redis(process.env.REDIS_URL);
  t.after(() => redis.quit());
  await contract(createRedisSessionStore(redis, 60_000));
});
