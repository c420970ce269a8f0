import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import { Redis } from 'ioredis';
import { createMemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { createRedisSessionStore } from '../../src/sessions/redis-session-store.ts';

const call = <T>(run: (callback: (error?: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));

const session = (data: Record<string, unknown>) =>
  ({ cookie: { expires: new Date(Date.now() + 60_000), originalMaxAge: 60_000 }, ...data }) as unknown as Session;

async function contract(store: SessionStore) {
  const id = randomUUID();
  await call((done) => store.set(id, session({ userId: 'u1' }), done));
  const loaded = (await call<Session | null>((done) => store.get(id, done))) as Session;
  assert.equal(loaded.userId, 'u1');

  // A request in flight loaded the session before logout and saves it after: it must not come back.
  await call((done) => store.destroy(id, done));
  await call((done) => store.set(id, { ...loaded, userId: 'u1-stale' } as Session, done));
  assert.equal(await call((done) => store.get(id, done)), null, 'a destroyed session stays destroyed');

  // A session that still exists is updated normally.
  const other = randomUUID();
  await call((done) => store.set(other, session({ userId: 'u2' }), done));
  const again = (await call<Session | null>((done) => store.get(other, done))) as Session;
  await call((done) => store.set(other, { ...again, userId: 'u2-updated' } as Session, done));
  assert.equal(((await call<Session | null>((done) => store.get(other, done))) as Session).userId, 'u2-updated');
}

test('memory store: set, get, and no resurrection after destroy', async () => {
  await contract(createMemorySessionStore(60_000));
});

test('redis store: set, get, no resurrection after destroy, and keys expire', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('REDIS_URL is not set: the Redis session store needs a Redis server');
    return;
  }
  const redis = new Redis(process.env.REDIS_URL);
  t.after(() => redis.quit());
  await contract(createRedisSessionStore(redis, 60_000));
  const id = randomUUID();
  await call((done) => createRedisSessionStore(redis, 60_000).set(id, session({}), done));
  const ttl = await redis.pttl(`keyfob:session:${id}`);
  assert.ok(ttl > 0 && ttl <= 60_000, String(ttl));
});
