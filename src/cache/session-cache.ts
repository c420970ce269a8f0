/**
 * Wraps a session store with an in-process read cache. Reads come from the cache while the invalidation bus is
 * healthy; every write (save, destroy) goes to the store first, then updates this instance's cache and tells the
 * others to evict. Each read hands out a fresh copy, so one request's changes never leak into another's.
 */
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import { BoundedMap } from './bounded-map.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export function cacheSessionStore(store: SessionStore, bus: InvalidationBus, maxAgeMs = 30_000): SessionStore {
  const cache = new BoundedMap<string, string>(50_000, maxAgeMs);
  bus.onMessage((message) => {
    if (message.kind === 'session') cache.delete(message.id);
  });
  bus.onReset(() => cache.clear());
  const copy = (text: string) => JSON.parse(text) as Session;
  return {
    get(sessionId, callback) {
      const cached = bus.healthy() ? cache.get(sessionId) : undefined;
      if (cached !== undefined) {
        callback(null, cached === '' ? null : copy(cached));
        return;
      }
      store.get(sessionId, (error, session) => {
        if (!error && bus.healthy()) cache.set(sessionId, session ? JSON.stringify(session) : '');
        callback(error, session);
      });
    },
    set(sessionId, session, callback) {
      store.set(sessionId, session, (error) => {
        cache.delete(sessionId);
        if (error) return callback(error);
        bus.publish({ kind: 'session', id: sessionId }).then(
          () => callback(),
          (publishError: Error) => callback(publishError),
        );
      });
    },
    destroy(sessionId, callback) {
      store.destroy(sessionId, (error) => {
        cache.delete(sessionId);
        if (error) return callback(error);
        bus.publish({ kind: 'session', id: sessionId }).then(
          () => callback(),
          (publishError: Error) => callback(publishError),
        );
      });
    },
  };
}
