/**
 * Server-side sessions with @fastify/session: a signed HttpOnly cookie holding a random id, the data in Redis
 * through ioredis (or memory when REDIS_URL is unset) behind an in-process read cache (cache/session-cache.ts).
 * Built once here; `/auth` and `/api` each turn sessions on for their own routes with `app.useSessions`, after
 * their origin check (so a cross-site request never costs a store read) and before their other checks. Other
 * routes (health, metrics, the dashboard's files) never read a session.
 *
 * Cookie: HttpOnly, SameSite=Lax (the provider's redirect back to /auth/callback is a top-level cross-site GET),
 * Path=/, no Domain; Secure and `__Host-` prefixed when PUBLIC_URL is https. Sessions are written only when
 * changed (`rolling: false`, `saveUninitialized: false`); sessions/session-timeouts.ts adds the idle and absolute
 * timeouts and the periodic extension.
 */
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { cacheSessionStore } from '../../cache/session-cache.ts';
import { fastifySessionStore } from '../../sessions/fastify-session-store.ts';
import { memoizedSigner } from '../../sessions/memoized-signer.ts';
import { createMemorySessionStore } from '../../sessions/memory-session-store.ts';
import { createRedisSessionStore } from '../../sessions/redis-session-store.ts';
import { sessionEndsAt, sessionTimeouts } from '../../sessions/session-timeouts.ts';
import { type TracedSpan, traceOf } from '../../tracing/trace-scope.ts';

const sessionCookieName = (secure: boolean) => (secure ? '__Host-keyfob' : 'keyfob');

declare module 'fastify' {
  interface FastifyInstance {
    /** Turns @fastify/session on for the routes of `area`; a hook after it then calls `sessions.enforceTimeouts`. */
    useSessions(area: FastifyInstance): Promise<void>;
    sessions: {
      cookieName: string;
      /** The cookie's attributes without its lifetime (to clear it as it was set). */
      cookieAttributes: { httpOnly: true; sameSite: 'lax'; path: '/'; secure: boolean };
      /** Applies the idle and absolute timeouts to the loaded session (call right after it is loaded). */
      enforceTimeouts(request: FastifyRequest): Promise<void>;
      /** Whether the browser brought this session along (it was in the store). */
      existing(session: Session): boolean;
      /** Ends a session by its id, on every instance (back-channel logout). */
      destroy(sessionId: string): Promise<void>;
      /** Ends every session of a user, on every instance (erasure); returns how many ids it ended. */
      endAllOf(userId: string): Promise<number>;
      /** When a stored session ends (its idle or absolute timeout), or null when it is gone. */
      endsAt(sessionId: string): Promise<number | null>;
    };
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    if (!app.redis) app.log.warn('sessions are kept in memory: run one instance only, and expect sign-outs on restart');
    // @fastify/session reads `request.cookies` and writes its cookie through `reply.setCookie`.
    await app.register(fastifyCookie);
    const idleMs = config.session.idleTimeoutSeconds * 1000;
    const absoluteMs = config.session.absoluteTimeoutSeconds * 1000;
    const loaded = new WeakSet<object>();
    const sessionReads = new WeakMap<object, TracedSpan>();
    const timeouts = sessionTimeouts({ idleMs, absoluteMs, loaded });
    const cookieName = sessionCookieName(config.secureCookies);
    const cookieAttributes = { httpOnly: true, sameSite: 'lax', path: '/', secure: config.secureCookies } as const;
    const store = cacheSessionStore(
      app.redis ? createRedisSessionStore(app.redis, absoluteMs) : createMemorySessionStore(),
      app.bus,
    );
    const options = {
      // A signer object rather than the secret: @fastify/cookie's HMAC-SHA256 Signer, remembering its answers.
      secret: memoizedSigner(config.sessionSecret),
      cookieName,
      cookie: { ...cookieAttributes, maxAge: idleMs },
      store: fastifySessionStore({
        store,
        loaded,
        idleMs,
        absoluteMs,
      }),
      saveUninitialized: false,
      rolling: false,
    };
    app.decorate('useSessions', async (area: FastifyInstance) => {
      // Traced, the session read is a span of its own: a slow Redis shows there, not as a slow provider.
      if (app.tracing.enabled) {
        area.addHook('onRequest', (request, _reply, done) => {
          sessionReads.set(request, traceOf(request).child('session.read'));
          done();
        });
      }
      await area.register(fastifySession, options);
      if (app.tracing.enabled) {
        area.addHook('onRequest', (request, _reply, done) => {
          sessionReads.get(request)?.end();
          done();
        });
      }
    });
    app.decorate('sessions', {
      cookieName,
      cookieAttributes,
      enforceTimeouts: timeouts.enforce,
      existing: timeouts.existing,
      destroy: (sessionId: string) => store.destroy(sessionId),
      async endAllOf(userId: string) {
        const ids = await store.sessionsOf(userId);
        for (const id of ids) await store.destroy(id);
        return ids.length;
      },
      async endsAt(sessionId: string) {
        const data = await store.load(sessionId);
        return data?.userId ? sessionEndsAt(data, idleMs, absoluteMs) : null;
      },
    });
  },
  { name: 'session', dependencies: ['config', 'redis', 'cache', 'tracing'] },
);
