/**
 * @fastify/rate-limit with its counters in Redis (shared by every instance) or, without REDIS_URL, in memory,
 * plus the per-IP limits of `/auth` and `/api` (security/rate-limits.ts); the areas add their per-session limits.
 * Registered before the session plugin so the per-IP check runs first. While Redis is away the counters are
 * skipped rather than failing requests: the session store is unreachable then too, so every call that needs a
 * session is already refused with 503.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { perIpRateLimit } from '../../security/rate-limits.ts';

export default fp(
  async (app) => {
    await app.register(fastifyRateLimit, {
      global: false,
      timeWindow: app.config.rateLimits.windowMs,
      skipOnError: true,
      nameSpace: 'keyfob:rate:',
      ...(app.redis ? { redis: app.redis } : {}),
    });
    app.addHook('onRequest', perIpRateLimit(app, app.config.rateLimits));
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'metrics'] },
);
