/**
 * Our stores as @fastify/session's store (src/sessions/fastify-session-store.ts): nothing is stored for a session
 * without data; a new session is created only under an unused id; a session read from the store is updated only
 * while it still exists, so a save after a logout cannot resurrect it; the copy the read cache shares is frozen,
 * so no request can change what other requests read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Session } from 'fastify';
import { createInvalidationBus } from '../../src/cache/invalidation-bus.ts';
import { cacheSessionStore } from '../../src/cache/session-cache.ts';
import { fastifySessionStore } from '../../src/sessions/fastify-session-store.ts';
import { createMemorySessionStore } from '../../src/sessions/memory-session-store.ts';

async function setup() {
  const backing = createMemorySessionStore();
  // Without Redis: the single-instance bus, delivering to this process only.
  const bus = await createInvalidationBus(null, { warn: () => undefined });
  const loaded = new WeakSet<object>();
  const store = fastifySessionStore({
    store: cacheSessionStore(backing, bus),
    loaded,
    idleMs: 60_000,
    absoluteMs: 600_000,
  });
  const call = <T>(run: (done: (error?: unknown, value?: T) => void) => void) =>
    new Promise<T | undefined>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
  return {
    backing,
    loaded,
    get: (id: string) => call<Session | null>((done) => store.get(id, done)),
    set: (id: string, session: object) => call((done) => store.set(id, session as Session, done)),
    destroy: (id: string) => call((done) => store.destroy(id, done)),
  };
}

const begun = (fields: object = {}) => ({ createdAt: Date.now(), lastSeenAt: Date.now(), ...fields });

test('a session without data is not stored; a new one is created only under an unused id', async () => {
  const s = await setup();
  await s.set('empty', { cookie: { originalMaxAge: 60_000 } });
  assert.equal(s.backing.size(), 0, 'a visitor who changed nothing costs no storage');
  await s.set('a', begun({ userId: 'u1' }));
  assert.equal((await s.get('a'))?.userId, 'u1');
  await s.set('a', begun({ userId: 'someone else' }));
  assert.equal((await s.get('a'))?.userId, 'u1', 'a new session never overwrites a stored one');
});

test('a loaded session is updated only while it exists: a save after a logout does not resurrect it', async () => {
  const s = await setup();
  await s.set('a', begun({ userId: 'u1' }));
  const inFlight: { pendingLogins?: unknown[] } = { ...(await s.get('a')), pendingLogins: [] };
  s.loaded.add(inFlight);
  await s.set('a', inFlight);
  assert.deepEqual((await s.get('a'))?.pendingLogins, [], 'updated while alive');
  await s.destroy('a');
  // The request in flight (the same session object it loaded) saves a change after the logout.
  inFlight.pendingLogins = [];
  await s.set('a', inFlight);
  assert.equal(await s.get('a'), null, 'the logout stands');
  assert.equal(s.backing.size(), 0);
});

test('the copy the read cache shares is frozen: no request can change what another reads', async () => {
  const s = await setup();
  await s.set(
    'a',
    begun({ userId: 'u1', pendingLogins: [{ state: 's', codeVerifier: 'v', returnTo: '/', startedAt: 1 }] }),
  );
  const shared = (await s.get('a')) as Session;
  assert.equal(await s.get('a'), shared, 'one copy, shared by the requests that read it');
  assert.throws(() => {
    (shared as { userId?: string }).userId = 'attacker';
  }, TypeError);
  assert.throws(() => (shared.pendingLogins as unknown[]).push({}), TypeError);
  assert.equal((await s.get('a'))?.userId, 'u1');
});
