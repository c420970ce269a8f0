/**
 * Wraps a session store with an in-process read cache (see coherent-cache.ts). Every write (save, destroy) goes
 * to the store first, then evicts this instance's copy and tells the others to evict theirs. Each read hands out
 * a fresh copy, so one request's changes never leak into another's.
 */
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import { CoherentCache } from './coherent-cache.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export function cacheSessionStore(store: SessionStore, bus: InvalidationBus, maxAgeMs = 30_000): SessionStore {
  // The stored JSON, or '' for "no such session".
  const cache = new CoherentCache<string>(bus, 50_000, maxAgeMs);
  bus.onMessage((message) => {
    if (message.kind === 'session') cache.evict(message.id);
  });
  const read = (sessionId: string) =>
    new Promise<string>((resolve, reject) =>
      store.get(sessionId, (error, session) =>
        error ? reject(error) : resolve(session ? JSON.stringify(session) : ''),
      ),
    );
  const afterWrite = (sessionId: string, callback: (error?: unknown) => void) => (error?: unknown) => {
    cache.evict(sessionId);
    if (error) return callback(error);
    bus.publish({ kind: 'session', id: sessionId }).then(
      () => callback(),
      (publishError: Error) => callback(publishError),
    );
  };
  return {
    get(sessionId, callback) {
      cache
        .load(sessionId, () => read(sessionId))
        .then(
          (text) => callback(null, text === '' ? null : (JSON.parse(text) as Session)),
          (error: Error) => callback(error),
        );
    },
    set(sessionId, session, callback) {
      store.set(sessionId, session, afterWrite(sessionId, callback));
    },
    destroy(sessionId, callback) {
      store.destroy(sessionId, afterWrite(sessionId, callback));
    },
  };
}
