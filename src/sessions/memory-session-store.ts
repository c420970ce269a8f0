/**
 * The embedded-mode session store: a Map in this process, with the same no-resurrection rule as the Redis store.
 * Sessions are lost on restart and not shared between instances; the log says so at start.
 */
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import { markStored, serialise, ttlMs, wasStoredBefore } from './stored-session.ts';

export function createMemorySessionStore(idleTimeoutMs: number): SessionStore & { size(): number } {
  const sessions = new Map<string, { value: string; expiresAt: number }>();
  const live = (sessionId: string) => {
    const entry = sessions.get(sessionId);
    if (entry && entry.expiresAt <= Date.now()) sessions.delete(sessionId);
    return sessions.get(sessionId);
  };
  // Expired entries are swept once a minute so an idle server does not keep them forever.
  const sweep = setInterval(() => {
    for (const id of sessions.keys()) live(id);
  }, 60_000);
  sweep.unref();
  return {
    set(sessionId, session, callback) {
      const exists = live(sessionId) !== undefined;
      if (exists === wasStoredBefore(session)) {
        sessions.set(sessionId, { value: serialise(session), expiresAt: Date.now() + ttlMs(session, idleTimeoutMs) });
        markStored(session);
      }
      callback();
    },
    get(sessionId, callback) {
      const entry = live(sessionId);
      callback(null, entry ? (JSON.parse(entry.value) as Session) : null);
    },
    destroy(sessionId, callback) {
      sessions.delete(sessionId);
      callback();
    },
    size: () => sessions.size,
  };
}
