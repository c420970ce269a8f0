/**
 * Remembers the `jti`s of accepted logout tokens for a while, so a replayed token does nothing: in Redis (SET NX
 * with a lifetime) when it is configured, shared by every instance; in memory otherwise (one instance).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export function createSeenJtis(redis: Redis | undefined) {
  const memory = new Map<string, number>();
  return async function firstUse(jti: string, ttlSeconds: number): Promise<boolean> {
    const key = `keyfob:logout-jti:${createHash('sha256').update(jti).digest('base64url')}`;
    if (redis) return (await redis.set(key, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    const now = Date.now();
    for (const [seen, until] of memory) if (until <= now) memory.delete(seen);
    if (memory.has(key)) return false;
    memory.set(key, now + ttlSeconds * 1000);
    return true;
  };
}
