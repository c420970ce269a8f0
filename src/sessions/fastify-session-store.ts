/**
 * Our session stores (Redis or memory, behind the read cache) in the shape @fastify/session asks of a store
 * (`get`, `set`, `destroy` with callbacks), keeping two rules that shape cannot express:
 * - a session is created only under an unused id and updated only while it still exists (`loaded` holds the
 *   sessions this request read from the store), so a request in flight during a logout cannot bring the
 *   destroyed session back by saving after it;
 * - nothing is stored for a session without data (@fastify/session's `regenerate` writes the new, empty
 *   session at once): a visitor who never started a login costs no storage.
 * The stored copy expires with the session (idle or absolute timeout, whichever comes first).
 */
import type { Session } from 'fastify';
import type { SessionData, SessionStore } from './session-store.ts';
import { sessionEndsAt } from './session-timeouts.ts';

type Callback = (error?: unknown) => void;

export function fastifySessionStore(options: {
  store: SessionStore;
  /** Sessions read from the store by the request that holds them (see session-timeouts.ts). */
  loaded: WeakSet<object>;
  idleMs: number;
  absoluteMs: number;
}) {
  const { store, loaded, idleMs, absoluteMs } = options;
  const ttlMs = (data: SessionData) => Math.max(1000, sessionEndsAt(data, idleMs, absoluteMs) - Date.now());
  return {
    get(sessionId: string, callback: (error: unknown, session?: Session | null) => void) {
      store.load(sessionId).then(
        (data) => callback(null, data as Session | null),
        (error) => callback(error),
      );
    },
    set(sessionId: string, session: Session, callback: Callback) {
      if (typeof session.createdAt !== 'number' || typeof session.lastSeenAt !== 'number') return callback();
      // A plain copy (the cookie through its toJSON): the live session object is never what the store keeps.
      const data = JSON.parse(JSON.stringify(session)) as SessionData;
      store.save(sessionId, data, ttlMs(data), loaded.has(session) ? 'update' : 'create').then(
        () => callback(),
        (error) => callback(error),
      );
    },
    destroy(sessionId: string, callback: Callback) {
      store.destroy(sessionId).then(
        () => callback(),
        (error) => callback(error),
      );
    },
  };
}
