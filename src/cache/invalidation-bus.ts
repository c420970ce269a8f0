/**
 * Cache invalidation across instances. Publishing runs the local handlers at once and sends the message on Redis;
 * each instance's subscriber hands received messages to its handlers. `healthy()` is false while the subscriber
 * is not subscribed: caches must not serve then, since they could have missed a message. On every (re)subscribe
 * the caches are emptied for the same reason.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../plugins/external/redis.ts';

export type Invalidation =
  | { kind: 'session'; id: string }
  | { kind: 'grant'; id: string }
  | { kind: 'user'; id: string }
  /** A refresh or token-fetch lease ended without a change to announce (tokens/lease-waits.ts); caches ignore it. */
  | { kind: 'lease_ended'; id: string }
  /**
   * New vehicle signals for this user's vehicles were stored (webhooks): each instance's live streams of that user
   * read them from the database. The message names the user only: no vehicle data crosses Redis.
   */
  | { kind: 'vehicle_signals'; id: string }
  /** A provider's report changed this user's vehicles' status (vehicle-status/): their live streams send it. */
  | { kind: 'vehicle_status'; id: string };

export interface InvalidationBus {
  publish(message: Invalidation): Promise<void>;
  onMessage(handler: (message: Invalidation) => void): void;
  onReset(handler: () => void): void;
  healthy(): boolean;
  close(): Promise<void>;
}

const CHANNEL = 'keyfob:invalidate';

export async function createInvalidationBus(
  redis: RedisClient | null,
  log: { warn(object: object, message: string): void },
): Promise<InvalidationBus> {
  const handlers: Array<(message: Invalidation) => void> = [];
  const resets: Array<() => void> = [];
  const deliver = (message: Invalidation) => {
    for (const handler of handlers) handler(message);
  };
  if (!redis) {
    return {
      publish: async (message) => deliver(message),
      onMessage: (handler) => handlers.push(handler),
      onReset: (handler) => resets.push(handler),
      healthy: () => true,
      close: async () => undefined,
    };
  }
  // The subscriber queues its SUBSCRIBE until connected (after a failover too); commands of the main client do not.
  const subscriber =
    redis instanceof Cluster
      ? redis.duplicate(undefined, { lazyConnect: true, enableOfflineQueue: true })
      : redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
  let subscribed = false;
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      deliver(JSON.parse(text) as Invalidation);
    } catch {
      log.warn({}, 'ignored a malformed invalidation message');
    }
  });
  subscriber.on('close', () => {
    subscribed = false;
    for (const reset of resets) reset();
  });
  subscriber.on('error', (error: Error) => log.warn({ err: error.message }, 'invalidation subscriber error'));
  subscriber.on('ready', () => {
    subscriber
      .subscribe(CHANNEL)
      .then(() => {
        for (const reset of resets) reset();
        subscribed = true;
      })
      .catch(() => undefined);
  });
  await subscriber.connect().catch((error: Error) => log.warn({ err: error.message }, 'invalidation subscriber down'));
  return {
    async publish(message) {
      deliver(message);
      // The change is already committed: failing the request now would tell the browser it did not happen. While
      // Redis is away, every instance whose subscriber lost it has emptied its caches and bypasses them.
      await redis
        .publish(CHANNEL, JSON.stringify(message))
        .catch((error: Error) => log.warn({ err: error.message, kind: message.kind }, 'invalidation not published'));
    },
    onMessage: (handler) => handlers.push(handler),
    onReset: (handler) => resets.push(handler),
    healthy: () => subscribed,
    async close() {
      subscribed = false;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
