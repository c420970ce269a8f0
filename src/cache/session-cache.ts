/**
 * Wraps a session store with an in-process read cache (see coherent-cache.ts). Every write (save, destroy) goes
 * to the store first, then evicts this instance's copy and tells the others to evict theirs. Cached sessions are
 * deeply frozen and shared by the requests that read them: @fastify/session copies what it reads into a session
 * object of the request's own, so one request's changes never leak into another's.
 */

import type { SessionData, SessionStore } from '../sessions/session-store.ts';
import { CoherentCache } from './coherent-cache.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function cacheSessionStore(store: SessionStore, bus: InvalidationBus, maxAgeMs = 30_000): SessionStore {
  // null: "no such session", remembered too (a forged or expired id costs one store read per 30 s, not one per call).
  const cache = new CoherentCache<SessionData | null>(bus, 50_000, maxAgeMs);
  bus.onMessage((message) => {
    if (message.kind === 'session') cache.evict(message.id);
  });
  // Publishing delivers to this instance's handlers first, so the handler above evicts the local copy too.
  const written = (sessionId: string) => bus.publish({ kind: 'session', id: sessionId });
  return {
    load: (sessionId) => cache.load(sessionId, async () => deepFreeze(await store.load(sessionId))),
    async save(sessionId, data, ttlMs, mode) {
      try {
        return await store.save(sessionId, data, ttlMs, mode);
      } finally {
        await written(sessionId);
      }
    },
    async destroy(sessionId) {
      try {
        await store.destroy(sessionId);
      } finally {
        await written(sessionId);
      }
    },
    sessionsOf: (userId) => store.sessionsOf(userId),
  };
}
