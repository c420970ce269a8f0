/**
 * Server-side sessions (sessions/): a signed HttpOnly cookie holding a random id, data in Redis (or memory when
 * REDIS_URL is unset) behind an in-process read cache. `/auth` and `/api` attach the session in their own hooks
 * (after the per-IP limit and the origin check, so neither a flood nor a cross-site request costs a store read)
 * and commit it with `app.sessions.commit` as they answer; other routes never touch it.
 */
import fastifyCookie from '@fastify/cookie';
import fp from 'fastify-plugin';
import { cacheSessionStore } from '../../cache/session-cache.ts';
import type { BrowserSession } from '../../sessions/browser-session.ts';
import { memoizedSigner } from '../../sessions/memoized-signer.ts';
import { createMemorySessionStore } from '../../sessions/memory-session-store.ts';
import { createRedisSessionStore } from '../../sessions/redis-session-store.ts';
import { type SessionCookies, sessionCookies } from '../../sessions/session-cookie.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionCookies;
  }
  interface FastifyRequest {
    /** Set under `/auth` and `/api` only. */
    session: BrowserSession;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    if (!app.redis) app.log.warn('sessions are kept in memory: run one instance only, and expect sign-outs on restart');
    // Cookies are parsed only where a session is read, not on every request (`hook: false`).
    await app.register(fastifyCookie, { hook: false });
    app.decorateRequest('session', null as unknown as BrowserSession);
    app.decorate(
      'sessions',
      sessionCookies({
        store: cacheSessionStore(app.redis ? createRedisSessionStore(app.redis) : createMemorySessionStore(), app.bus),
        signer: memoizedSigner(config.sessionSecret),
        parseCookie: (header) => app.parseCookie(header),
        serializeCookie: (name, value, attributes) => app.serializeCookie(name, value, attributes),
        secure: config.secureCookies,
        idleMs: config.session.idleTimeoutSeconds * 1000,
        absoluteMs: config.session.absoluteTimeoutSeconds * 1000,
      }),
    );
  },
  { name: 'session', dependencies: ['config', 'redis', 'cache'] },
);
