/**
 * Server-side sessions: a signed HttpOnly cookie holding a random id, data in Redis (or memory when REDIS_URL is
 * unset). Cookie: SameSite=Lax (the provider's redirect back to /auth/callback is a top-level cross-site GET),
 * Path=/, no Domain; Secure and `__Host-` prefixed when PUBLIC_URL is https.
 * Timeouts: absolute from the moment the session was created; idle from `lastSeenAt`, which is moved (and the
 * store's expiry and the cookie with it) once a tenth of the idle timeout has passed, not on every request: a
 * store write per request would cost more than the rest of a proxied call.
 */
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fp from 'fastify-plugin';
import { cacheSessionStore } from '../../cache/session-cache.ts';
import { memoizedSigner } from '../../sessions/memoized-signer.ts';
import { createMemorySessionStore } from '../../sessions/memory-session-store.ts';
import { createRedisSessionStore } from '../../sessions/redis-session-store.ts';

declare module 'fastify' {
  interface Session {
    /** Milliseconds since the epoch when this session was created; the absolute timeout counts from here. */
    createdAt?: number;
    /** When the session was last extended; the idle timeout counts from here. */
    lastSeenAt?: number;
    userId?: string;
  }
}

export const sessionCookieName = (secure: boolean) => (secure ? '__Host-keyfob' : 'keyfob');

export default fp(
  async (app) => {
    const { config } = app;
    const idleMs = config.session.idleTimeoutSeconds * 1000;
    const absoluteMs = config.session.absoluteTimeoutSeconds * 1000;
    if (!app.redis) app.log.warn('sessions are kept in memory: run one instance only, and expect sign-outs on restart');
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: memoizedSigner(config.sessionSecret),
      cookieName: sessionCookieName(config.secureCookies),
      saveUninitialized: false,
      rolling: false,
      store: cacheSessionStore(
        app.redis ? createRedisSessionStore(app.redis, idleMs) : createMemorySessionStore(idleMs),
        app.bus,
      ),
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: config.secureCookies,
        maxAge: idleMs,
      },
    });
    // onRequest, right after @fastify/session loaded the session: every later check sees it already expired.
    app.addHook('onRequest', async (request) => {
      const { session } = request;
      const { createdAt } = session;
      if (createdAt === undefined) return;
      const now = Date.now();
      const lastSeenAt = session.lastSeenAt ?? createdAt;
      if (now - createdAt > absoluteMs || now - lastSeenAt > idleMs) {
        // The expired session is destroyed in the store; the request goes on with a fresh, signed-out one.
        await session.regenerate();
        return;
      }
      if (now - lastSeenAt > idleMs / 10) {
        session.lastSeenAt = now;
        session.touch();
      }
    });
  },
  { name: 'session', dependencies: ['config', 'redis', 'cache'] },
);
