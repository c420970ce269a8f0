/**
 * Remembers the `jti`s of accepted logout tokens for a while, so a replayed token does nothing: in Redis (SET NX
 * with a lifetime) when it is configured, shared by every instance; in memory otherwise (one instance).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../plugins/external/redis.ts';

export function createSeenJtis(redis: RedisClient | undefined) {
  const memory = new Map<string, number>();
  const keyOf = (jti: string) => `keyfob:logout-jti:${createHash('sha256').update(jti).digest('base64url')}`;
  const sweep = () => {
    const now = Date.now();
    for (const [seen, until] of memory) if (until <= now) memory.delete(seen);
  };
  return {
    async seen(jti: string): Promise<boolean> {
      if (redis) return (await redis.exists(keyOf(jti))) === 1;
      sweep();
      return memory.has(keyOf(jti));
    },
    /** Called once the logout it carried is done: a delivery that failed half-way can be retried by the provider. */
    async remember(jti: string, ttlSeconds: number): Promise<void> {
      if (redis) await redis.set(keyOf(jti), '1', 'EX', ttlSeconds);
      else memory.set(keyOf(jti), Date.now() + ttlSeconds * 1000);
    },
  };
}
