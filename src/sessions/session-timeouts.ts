/**
 * What Keyfob adds to @fastify/session once it has loaded a request's session: the idle and absolute timeouts,
 * and the session's extension. Rules:
 * - a session past its idle timeout (since `lastSeenAt`) or its absolute timeout (since `createdAt`, sign-in) is
 *   destroyed and replaced by a new, empty one: the request goes on signed out and its cookie is cleared;
 * - a session active for more than a tenth of the idle timeout is extended (`lastSeenAt`, and the cookie's
 *   expiry): written once then, not on every request, since a store write per call would cost more than the
 *   rest of a proxied call;
 * - sessions written by @fastify/session before Keyfob kept `lastSeenAt` count their idle time from sign-in;
 *   one without `createdAt` (an anonymous one of those days) is over.
 */
import type { FastifyRequest, Session } from 'fastify';
import type { SessionFields } from './session-store.ts';

/** Whether the session holds data, so it was read from the store (a new one has none when the request arrives). */
const begun = (session: SessionFields) =>
  session.createdAt !== undefined || session.userId !== undefined || session.pendingLogins !== undefined;

/**
 * When the session ends: at its idle timeout after `lastSeenAt` (sign-in for sessions without it) or its absolute
 * timeout after `createdAt`, whichever comes first; already over (-Infinity) for one without `createdAt`. The
 * one place that says it: the timeouts below, the stored copy's expiry and `/auth/session` all use it.
 */
export function sessionEndsAt(session: SessionFields, idleMs: number, absoluteMs: number): number {
  if (typeof session.createdAt !== 'number') return Number.NEGATIVE_INFINITY;
  return Math.min((session.lastSeenAt ?? session.createdAt) + idleMs, session.createdAt + absoluteMs);
}

export function sessionTimeouts(options: { idleMs: number; absoluteMs: number; loaded: WeakSet<object> }) {
  const { idleMs, absoluteMs, loaded } = options;
  const over = (session: SessionFields, now: number) => now > sessionEndsAt(session, idleMs, absoluteMs);

  return {
    /** Applies the timeouts to the session @fastify/session loaded; resolves at once unless it must end it. */
    async enforce(request: FastifyRequest): Promise<void> {
      const { session } = request;
      if (!begun(session)) return;
      const now = Date.now();
      if (over(session, now)) {
        await session.regenerate();
        return;
      }
      loaded.add(session);
      if (now - (session.lastSeenAt ?? (session.createdAt as number)) > idleMs / 10) {
        session.lastSeenAt = now;
        session.touch();
      }
    },
    /** Whether the browser brought this session along (it was read from the store), not one begun now. */
    existing: (session: Session) => loaded.has(session),
  };
}

/** Sets fields of a request's session; a session that had no data yet begins now (its timeouts count from here). */
export function updateSession(session: Session, changes: SessionFields): void {
  if (session.createdAt === undefined) {
    const now = Date.now();
    session.createdAt = now;
    session.lastSeenAt = now;
  }
  Object.assign(session, changes);
}
