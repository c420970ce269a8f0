/**
 * Decorates `fastify.redis` with an ioredis client when REDIS_URL is set, or null for the single-instance mode.
 * Commands fail fast while Redis is away (no offline queue), so a request never waits on a dead store.
 */
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | null;
  }
}

export default fp(
  async (app) => {
    const url = app.config.redisUrl;
    if (!url) {
      app.decorate('redis', null);
      return;
    }
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      lazyConnect: true,
      // Commands issued in the same tick (the rate-limit counters and session reads of concurrent requests) go out
      // in one write: one syscall instead of one per command.
      enableAutoPipelining: true,
    });
    redis.on('error', (error) => app.log.warn({ err: error.message }, 'redis connection error'));
    await redis.connect();
    app.decorate('redis', redis);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
