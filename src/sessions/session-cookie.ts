/**
 * Reads a request's session: the signed cookie's id, checked against its HMAC, then the store. A session past its
 * idle or absolute timeout is destroyed and the request goes on signed out; one active for a tenth of the idle
 * timeout is extended (written once then, not on every request: a store write per call would cost more than the
 * rest of a proxied call). Writes a changed session as the request answers, with a fresh cookie.
 * Cookie: HttpOnly, SameSite=Lax (the provider's redirect back to /auth/callback is a top-level cross-site GET),
 * Path=/, no Domain; Secure and `__Host-` prefixed when PUBLIC_URL is https.
 *
 * Why not @fastify/session: it builds a session object per request and hashes it twice (stable JSON plus SHA-256)
 * to find out whether the handler changed it, on every request of every route: a sixth of a proxied call's CPU.
 * Here a change is explicit (`BrowserSession.update`), a request that changes nothing costs one cache lookup, and
 * the cookie format is @fastify/cookie's signed value (`id.HMAC-SHA256`), signed by its Signer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrowserSession } from './browser-session.ts';
import type { SessionData, SessionStore } from './session-store.ts';

export const sessionCookieName = (secure: boolean) => (secure ? '__Host-keyfob' : 'keyfob');

interface CookieSigner {
  sign(value: string): string;
  unsign(input: string): { valid: boolean; value: string | null };
}

const staleCookie = new WeakSet<FastifyRequest>();

export function sessionCookies(options: {
  store: SessionStore;
  signer: CookieSigner;
  parseCookie: (header: string) => Record<string, string | undefined>;
  serializeCookie: (name: string, value: string, attributes: Record<string, unknown>) => string;
  secure: boolean;
  idleMs: number;
  absoluteMs: number;
}) {
  const { store, signer, idleMs, absoluteMs } = options;
  const name = sessionCookieName(options.secure);
  const attributes = { httpOnly: true, sameSite: 'lax', path: '/', secure: options.secure };
  // Written as a header here rather than with reply.setCookie: @fastify/cookie writes the cookies of a reply in its
  // own onSend hook, which has already run (at the root) by the time this area's hook commits the session.
  const setCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.header(
      'set-cookie',
      options.serializeCookie(name, value, {
        ...attributes,
        maxAge: maxAgeSeconds,
        expires: new Date(Date.now() + maxAgeSeconds * 1000),
      }),
    );
  // Sessions written by @fastify/session (before an upgrade) may lack `lastSeenAt`, and anonymous ones `createdAt`:
  // the first counts from sign-in, the second is no session (its pending logins are simply started again).
  const lastSeen = (data: SessionData) => data.lastSeenAt ?? data.createdAt;
  const over = (data: SessionData, now: number) =>
    typeof data.createdAt !== 'number' || now - data.createdAt > absoluteMs || now - lastSeen(data) > idleMs;
  const ttlMs = (data: SessionData) =>
    Math.max(1000, Math.min(lastSeen(data) + idleMs, data.createdAt + absoluteMs) - Date.now());

  async function storedSession(request: FastifyRequest): Promise<{ id: string; data: SessionData } | null> {
    const header = request.headers.cookie;
    const signed = header === undefined ? undefined : options.parseCookie(header)[name];
    if (!signed) return null;
    const unsigned = signer.unsign(signed);
    const sessionId = unsigned.valid ? unsigned.value : null;
    const data = sessionId ? await store.load(sessionId) : null;
    if (sessionId && data && !over(data, Date.now())) return { id: sessionId, data };
    // The cookie names no live session: forged, unknown, or over (then it is destroyed in the store too).
    if (sessionId && data) await store.destroy(sessionId);
    staleCookie.add(request);
    return null;
  }

  return {
    /** Sets `request.session`; call before any check that needs it. */
    async attach(request: FastifyRequest): Promise<void> {
      const stored = await storedSession(request);
      const session = new BrowserSession(store, stored);
      const now = Date.now();
      if (stored && now - lastSeen(stored.data) > idleMs / 10) session.update({ lastSeenAt: now });
      request.session = session;
    },

    /** An onSend hook: writes a changed session and sets its cookie, or clears a cookie that names no session. */
    commit(
      request: FastifyRequest,
      reply: FastifyReply,
      payload: unknown,
      done: (error: Error | null, payload?: unknown) => void,
    ) {
      const { session } = request;
      if (!session) return done(null, payload);
      if (session.destroyed) {
        setCookie(reply, '', 0);
        return done(null, payload);
      }
      session.save(ttlMs).then(
        (written) => {
          if (written) {
            setCookie(reply, signer.sign(session.sessionId), Math.ceil(idleMs / 1000));
          } else if (staleCookie.has(request) && !session.existing) {
            setCookie(reply, '', 0);
          }
          done(null, payload);
        },
        (error: Error) => done(error),
      );
    },
  };
}

export type SessionCookies = ReturnType<typeof sessionCookies>;
