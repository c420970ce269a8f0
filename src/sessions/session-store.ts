/**
 * What Keyfob keeps per browser session, and the store interface the Redis and in-memory stores implement.
 * Stores never bring a destroyed session back: a session is created only under an unused id, and updated only
 * while it still exists, so a request in flight during a logout cannot re-create the session by saving after it.
 */
import type { PendingLogin } from '../connect/pending-logins.ts';

/** The fields Keyfob keeps in a browser session (absent on a session that has not begun). */
export interface SessionFields {
  /** Milliseconds since the epoch when this session began; the absolute timeout counts from here. */
  createdAt?: number;
  /** When the session was last extended; the idle timeout counts from here. */
  lastSeenAt?: number;
  userId?: string;
  pendingLogins?: readonly PendingLogin[];
  /** The identity provider sign-in behind this session (oidc_sessions.id), when signed in with OpenID Connect. */
  oidcSessionId?: string;
  /** From the ID token (or userinfo): what /auth/session shows, nothing else of the claims. */
  displayName?: string;
  email?: string;
  /** The Keyfob scopes the identity provider's `OIDC_SCOPES_CLAIM` named at sign-in (only when that is set). */
  scopes?: string[];
}

declare module 'fastify' {
  // @fastify/session's request.session carries these fields.
  interface Session extends SessionFields {}
}

/** A stored session: the fields, once begun, and @fastify/session's cookie settings. */
export interface SessionData extends SessionFields {
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly cookie?: object;
}

export interface SessionStore {
  load(sessionId: string): Promise<SessionData | null>;
  /**
   * `create` writes only if the id is unused, `update` only if the session still exists; says whether it wrote.
   * The stored copy expires after `ttlMs`.
   */
  save(sessionId: string, data: SessionData, ttlMs: number, mode: 'create' | 'update'): Promise<boolean>;
  destroy(sessionId: string): Promise<void>;
  /**
   * The ids of the sessions saved as signed in to this user (the index an erasure ends them by). It may name
   * sessions that have ended since; never misses a live one.
   */
  sessionsOf(userId: string): Promise<string[]>;
}
