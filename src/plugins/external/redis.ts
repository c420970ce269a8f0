/**
 * Decorates `fastify.redis` with an ioredis client for the configured topology (config/redis-settings.ts): one
 * server, the primary that Redis Sentinel names (followed across failovers: ioredis asks the sentinels again when
 * the connection drops, and `failoverDetector` listens for their `+switch-master`), or a Redis Cluster (MOVED and
 * ASK redirections during a slot migration are followed by ioredis). Null without Redis: the single-instance mode.
 *
 * Commands fail fast while Redis is away (no offline queue), so a request never waits on a dead store. Everything
 * Keyfob sends is cluster-safe: single-key commands, a MULTI over one key, a Lua script over one key, and classic
 * pub/sub (which a cluster broadcasts to every node).
 */
import fp from 'fastify-plugin';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../../config/redis-settings.ts';

/** A Redis client of any topology: what the session store, the rate limits and the bus are written against. */
export type RedisClient = Redis | Cluster;

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient | null;
  }
}

const COMMON = {
  enableOfflineQueue: false,
  connectTimeout: 5_000,
  lazyConnect: true,
  // Commands issued in the same tick (the rate-limit counters and session reads of concurrent requests) go out
  // in one write: one syscall instead of one per command.
  enableAutoPipelining: true,
} as const;

/** A write that reached a server demoted to replica (the old primary, back after a failover): reconnect. */
const reconnectOnReadOnly = (error: Error) => error.message.startsWith('READONLY');

export function createRedisClient(settings: RedisSettings): RedisClient {
  if (settings.topology === 'single') return new Redis(settings.url, { ...COMMON, maxRetriesPerRequest: 1 });
  const server: RedisOptions = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
  };
  if (settings.topology === 'sentinel') {
    return new Redis({
      ...COMMON,
      ...server,
      maxRetriesPerRequest: 1,
      sentinels: settings.sentinels,
      name: settings.name,
      role: 'master',
      ...(settings.sentinelPassword ? { sentinelPassword: settings.sentinelPassword } : {}),
      ...(settings.tls ? { enableTLSForSentinelMode: true } : {}),
      failoverDetector: true,
      // Reconnect at once and keep trying every 200 ms: a failover takes a second or two, not a backoff's minute.
      retryStrategy: () => 200,
      sentinelRetryStrategy: () => 200,
      reconnectOnError: reconnectOnReadOnly,
    });
  }
  return new Cluster(settings.nodes, {
    ...COMMON,
    redisOptions: { ...server, maxRetriesPerRequest: 1, connectTimeout: 5_000, reconnectOnError: reconnectOnReadOnly },
    scaleReads: 'master',
    // Follow redirections during a slot migration, and a primary's replacement after a failover.
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    clusterRetryStrategy: () => 200,
  });
}

export default fp(
  async (app) => {
    const settings = app.config.redis;
    if (!settings) {
      app.decorate<RedisClient | null>('redis', null);
      return;
    }
    const redis = createRedisClient(settings);
    redis.on('error', (error: Error) => app.log.warn({ err: error.message }, 'redis connection error'));
    await redis.connect();
    app.decorate<RedisClient>('redis', redis);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
