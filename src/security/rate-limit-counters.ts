/**
 * Fixed-window rate-limit counters, counted in memory and settled with Redis in the background (without Redis, in
 * memory only: one instance).
 *
 * Why not @fastify/rate-limit: its Redis store runs a Lua script on Redis for every request and waits for the
 * answer, twice per proxied call here (per IP and per session); the benchmark showed those round trips cost about
 * a quarter of a proxied call. With a store of ours that counts in memory, what was left of the plugin (its call
 * path of several promises per check) still cost about 4% of a proxied call. No maintained limiter counts
 * synchronously and batches its Redis counting, so this does, by hand:
 *
 * - `count` answers at once, synchronously, from memory: the window's total as Redis last reported it, plus what
 *   this instance counted since.
 * - Every `flushMs` (100 ms), the counts not yet reported go to Redis in one pipelined round (INCRBY, the window's
 *   expiry set by whoever creates the key, PTTL), and each key learns the total of every instance and when its
 *   window ends.
 * - So on one instance a limit is exact; across instances, an instance that was quiet decides on the total it
 *   last knew until its first settlement, at most one flush interval into its burst: the overshoot is bounded by
 *   what it serves in that interval. While Redis is away the counts wait (and are retried); each instance then
 *   limits on what it sees itself, rather than not limiting at all.
 */
import type { RedisClient } from '../plugins/external/redis.ts';

const SETTLE = `
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
if current == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {current, ttl}`;

interface Counter {
  /** The window's total across instances at the last settlement. */
  settled: number;
  /** Counted here since, not yet reported to Redis. */
  pending: number;
  /** Being reported right now (counted in `settled` once the answer arrives). */
  inFlight: number;
  windowEndsAt: number;
  windowMs: number;
}

type SettlingRedis = RedisClient & {
  keyfobSettleRateLimit(key: string, delta: number, windowMs: number): Promise<[number, number]>;
};

export interface RateLimitCounters {
  /** Counts one request against `key`; the window's total so far (this one included) and when the window ends. */
  count(key: string, windowMs: number): { current: number; ttlMs: number };
  /** Reports what is pending and stops the background settlement (on close). */
  close(): Promise<void>;
}

export function createRateLimitCounters(
  redis: RedisClient | null,
  options: { prefix: string; flushMs?: number; maxKeys?: number; onError?: (error: Error) => void },
): RateLimitCounters {
  const counters = new Map<string, Counter>();
  const maxKeys = options.maxKeys ?? 100_000;
  const settling = redis as SettlingRedis | null;
  if (redis && !('keyfobSettleRateLimit' in redis))
    redis.defineCommand('keyfobSettleRateLimit', { numberOfKeys: 1, lua: SETTLE });

  function forgetEndedWindows(now: number) {
    for (const [key, counter] of counters) {
      const reported = !settling || (counter.pending === 0 && counter.inFlight === 0);
      if (counter.windowEndsAt <= now && reported) counters.delete(key);
    }
  }

  async function flush() {
    if (!settling) return;
    const now = Date.now();
    const rounds: Promise<void>[] = [];
    let failure: Error | undefined;
    for (const [key, counter] of counters) {
      if (counter.pending === 0 || counter.inFlight > 0) continue;
      const delta = counter.pending;
      counter.pending = 0;
      counter.inFlight = delta;
      rounds.push(
        settling.keyfobSettleRateLimit(options.prefix + key, delta, counter.windowMs).then(
          ([total, ttl]) => {
            counter.inFlight = 0;
            counter.settled = total;
            counter.windowEndsAt = Date.now() + ttl;
          },
          (error: Error) => {
            // Redis is away: keep the counts for the next round, and go on limiting on what this instance saw.
            counter.inFlight = 0;
            counter.pending += delta;
            failure = error;
          },
        ),
      );
    }
    await Promise.all(rounds);
    // One report per round, however many keys it failed to settle.
    if (failure) options.onError?.(failure);
    if (counters.size > maxKeys / 2) forgetEndedWindows(now);
  }

  let flushing: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (!settling) {
        forgetEndedWindows(Date.now());
        return;
      }
      flushing ??= flush().finally(() => {
        flushing = undefined;
      });
    },
    options.flushMs ?? (settling ? 100 : 60_000),
  );
  timer.unref();

  return {
    count(key, timeWindow) {
      const now = Date.now();
      let counter = counters.get(key);
      if (!counter || counter.windowEndsAt <= now) {
        if (!counter && counters.size >= maxKeys) {
          forgetEndedWindows(now);
          // Still full (a flood of distinct addresses): the oldest key goes, so memory stays bounded.
          if (counters.size >= maxKeys) counters.delete(counters.keys().next().value as string);
        }
        // A window this instance has not seen yet (or that ended): counted from here until Redis says otherwise.
        counter = { settled: 0, pending: 0, inFlight: 0, windowEndsAt: now + timeWindow, windowMs: timeWindow };
        counters.set(key, counter);
      }
      counter.pending += 1;
      return {
        current: counter.settled + counter.inFlight + counter.pending,
        ttlMs: Math.max(counter.windowEndsAt - now, 0),
      };
    },
    async close() {
      clearInterval(timer);
      await flushing;
      await flush();
    },
  };
}
