/**
 * The embedded-mode session store: a Map in this process, with the same create / update rules as the Redis store.
 * Sessions are lost on restart and not shared between instances; the log says so at start.
 */
import type { SessionData, SessionStore } from './session-store.ts';

export function createMemorySessionStore(): SessionStore & { size(): number } {
  const sessions = new Map<string, { value: string; expiresAt: number }>();
  /** Each user's sessions (for an erasure); ids of ended sessions are dropped by the sweep. */
  const byUser = new Map<string, Set<string>>();
  const live = (sessionId: string) => {
    const entry = sessions.get(sessionId);
    if (entry && entry.expiresAt <= Date.now()) sessions.delete(sessionId);
    return sessions.get(sessionId);
  };
  // Expired entries are swept once a minute so an idle server does not keep them forever.
  const sweep = setInterval(() => {
    for (const id of sessions.keys()) live(id);
    for (const [userId, ids] of byUser) {
      for (const id of ids) if (!sessions.has(id)) ids.delete(id);
      if (ids.size === 0) byUser.delete(userId);
    }
  }, 60_000);
  sweep.unref();
  return {
    async load(sessionId) {
      const entry = live(sessionId);
      // Stored as JSON, as in Redis: a caller can never reach into the stored copy.
      return entry ? (JSON.parse(entry.value) as SessionData) : null;
    },
    async save(sessionId, data, ttlMs, mode) {
      const exists = live(sessionId) !== undefined;
      if (exists !== (mode === 'update')) return false;
      sessions.set(sessionId, { value: JSON.stringify(data), expiresAt: Date.now() + ttlMs });
      if (data.userId) byUser.set(data.userId, (byUser.get(data.userId) ?? new Set()).add(sessionId));
      return true;
    },
    async destroy(sessionId) {
      sessions.delete(sessionId);
    },
    async sessionsOf(userId) {
      return [...(byUser.get(userId) ?? [])];
    },
    size: () => sessions.size,
  };
}
