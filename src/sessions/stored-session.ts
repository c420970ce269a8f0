/** What a store writes: the session plus a marker that it has been stored before (see README). */
import type { Session } from 'fastify';

export const STORED_MARK = 'storedBefore';

export type StoredSession = Session & { [STORED_MARK]?: true };

/** Milliseconds until the session's cookie expires, at least one second. */
export function ttlMs(session: Session, fallbackMs: number): number {
  const expires = session.cookie?.expires ? new Date(session.cookie.expires).getTime() : Date.now() + fallbackMs;
  return Math.max(1000, expires - Date.now());
}

export function wasStoredBefore(session: Session): boolean {
  return (session as StoredSession)[STORED_MARK] === true;
}

export function serialise(session: Session): string {
  return JSON.stringify({ ...session, [STORED_MARK]: true });
}

/** Marks the live session object as stored, so later saves in the same request update rather than create. */
export function markStored(session: Session): void {
  (session as StoredSession)[STORED_MARK] = true;
}
