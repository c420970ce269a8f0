/**
 * @fastify/rate-limit with its counters shared by every instance through Redis (counted in memory and settled in
 * the background: security/batched-rate-limit-store.ts) or, without REDIS_URL, in memory, plus the per-IP limits of
 * `/auth` and `/api` (security/rate-limits.ts); the areas add their per-session limits. Registered before the
 * session plugin so the per-IP check runs first.
 */
import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { createBatchedRateLimitStore } from '../../security/batched-rate-limit-store.ts';
import { perIpRateLimit } from '../../security/rate-limits.ts';

export default fp(
  async (app) => {
    let store: (new () => FastifyRateLimitStore) | undefined;
    if (app.redis) {
      const batched = createBatchedRateLimitStore(app.redis, {
        prefix: 'keyfob:rate:',
        onError: (error) => app.log.warn({ err: error.message }, 'rate-limit counts not settled with Redis'),
      });
      app.addHook('onClose', () => batched.close());
      // The plugin constructs its store itself, and asks for a child per route or limiter: every one of them
      // hands out the one shared set of counters (the keys already say which limiter they belong to).
      store = class {
        incr: FastifyRateLimitStore['incr'] = (key, callback, timeWindow, max) =>
          batched.store.incr(key, callback as never, timeWindow, max);
        child = () => this;
      };
    }
    await app.register(fastifyRateLimit, {
      global: false,
      timeWindow: app.config.rateLimits.windowMs,
      ...(store ? { store } : {}),
    });
    app.addHook('onRequest', perIpRateLimit(app, app.config.rateLimits));
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'metrics'] },
);
