/**
 * A request's session over a shared, frozen copy: changes make a new object and reach the store only when saved;
 * nothing is stored for a visitor who changed nothing; regenerate and destroy remove the old id from the store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInvalidationBus } from '../../src/cache/invalidation-bus.ts';
import { cacheSessionStore } from '../../src/cache/session-cache.ts';
import { BrowserSession } from '../../src/sessions/browser-session.ts';
import { createMemorySessionStore } from '../../src/sessions/memory-session-store.ts';

const ttl = () => 60_000;
// Without Redis: the single-instance bus, delivering to this process only.
const localBus = () => createInvalidationBus(null, { warn: () => undefined });

test('changes never reach the cached copy other requests share; only a changed session is written', async () => {
  const backing = createMemorySessionStore();
  const store = cacheSessionStore(backing, await localBus());
  const visitor = new BrowserSession(store, null);
  assert.equal(await visitor.save(ttl), false, 'a visitor who changed nothing costs no storage');
  assert.equal(backing.size(), 0);

  visitor.update({ userId: 'u1' });
  assert.equal(await visitor.save(ttl), true);
  const id = visitor.sessionId;
  const shared = await store.load(id);
  assert.ok(shared && Object.isFrozen(shared), 'the cached copy is frozen');
  assert.equal(await store.load(id), shared, 'and shared by the requests that read it');

  const one = new BrowserSession(store, { id, data: shared });
  one.update({ userId: 'changed-by-one' });
  const two = new BrowserSession(store, { id, data: shared });
  assert.equal(two.userId, 'u1', "one request's change does not leak into another's");
  assert.equal(shared.userId, 'u1');
  assert.equal(await two.save(ttl), false, 'an unchanged session is not written');
  assert.equal(await one.save(ttl), true);
  assert.equal((await store.load(id))?.userId, 'changed-by-one', 'the write evicted the cached copy');
});

test('regenerate and destroy remove the old id; a save after destroy cannot bring it back', async () => {
  const store = cacheSessionStore(createMemorySessionStore(), await localBus());
  const first = new BrowserSession(store, null);
  first.update({ userId: 'u1' });
  await first.save(ttl);
  const oldId = first.sessionId;
  const loaded = await store.load(oldId);
  assert.ok(loaded);

  const signingIn = new BrowserSession(store, { id: oldId, data: loaded });
  await signingIn.regenerate();
  assert.notEqual(signingIn.sessionId, oldId);
  assert.equal(signingIn.userId, undefined, 'a regenerated session starts empty');
  assert.equal(await store.load(oldId), null, 'the old id is gone');

  // A request that loaded the old session before the regenerate saves after it: nothing comes back.
  const inFlight = new BrowserSession(store, { id: oldId, data: loaded });
  inFlight.update({ lastSeenAt: Date.now() });
  assert.equal(await inFlight.save(ttl), false);
  assert.equal(await store.load(oldId), null);

  signingIn.update({ userId: 'u2' });
  await signingIn.save(ttl);
  const stored = await store.load(signingIn.sessionId);
  assert.ok(stored);
  const signedIn = new BrowserSession(store, { id: signingIn.sessionId, data: stored });
  await signedIn.destroy();
  assert.equal(signedIn.destroyed, true);
  assert.equal(await store.load(signingIn.sessionId), null);
});
