/**
 * The rate-limit counters (security/rate-limit-counters.ts: counted in memory, shared by every instance through
 * Redis when REDIS_URL is set) and the per-IP limits of `/auth` and `/api` (security/rate-limits.ts); the areas
 * add their per-session limits. Registered before the session plugin so the per-IP check runs first.
 */
import fp from 'fastify-plugin';
import { createRateLimitCounters, type RateLimitCounters } from '../../security/rate-limit-counters.ts';
import { perIpRateLimit } from '../../security/rate-limits.ts';

declare module 'fastify' {
  interface FastifyInstance {
    rateLimitCounters: RateLimitCounters;
  }
}

export default fp(
  async (app) => {
    const counters = createRateLimitCounters(app.redis, {
      prefix: 'keyfob:rate:',
      onError: (error) => app.log.warn({ err: error.message }, 'rate-limit counts not settled with Redis'),
    });
    app.addHook('onClose', () => counters.close());
    app.decorate('rateLimitCounters', counters);
    app.addHook('onRequest', perIpRateLimit(app, app.config.rateLimits));
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'metrics'] },
);
