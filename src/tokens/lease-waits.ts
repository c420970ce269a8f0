/**
 * Wakes requests that wait for a lease held elsewhere (another instance refreshing a grant, or fetching an
 * application token) to end. A holder announces the end of its lease on the invalidation bus (Redis pub/sub
 * across instances, local delivery on one); a waiter wakes on that announcement or when its timer fires,
 * whichever comes first. The timer is the fallback for an announcement that never comes: Redis away, a message
 * sent between the waiter's read and its wait, or a holder that crashed (its lease then simply expires). It
 * backs off (`nextPollMs`) and never sleeps past the lease's end.
 *
 * Why pub/sub rather than Postgres LISTEN/NOTIFY: a LISTEN needs one connection held open per instance for ever,
 * outside the pool; the bus already holds its Redis subscriber for cache invalidation, and every grant change is
 * already published on it.
 */
import type { InvalidationBus } from '../cache/invalidation-bus.ts';

const FIRST_POLL_MS = 25;
const LONGEST_POLL_MS = 1_000;

/** The next fallback poll interval after `previousMs` (doubling, at most a second). */
export const nextPollMs = (previousMs?: number) =>
  previousMs === undefined ? FIRST_POLL_MS : Math.min(previousMs * 2, LONGEST_POLL_MS);

export function createLeaseWaits(bus: InvalidationBus | null) {
  const waiting = new Map<string, Set<() => void>>();

  function wake(key: string) {
    const wakers = waiting.get(key);
    if (!wakers) return;
    waiting.delete(key);
    for (const waker of wakers) waker();
  }

  bus?.onMessage((message) => {
    if (message.kind === 'grant' || message.kind === 'lease_ended') wake(message.id);
  });

  return {
    /** Resolves when `key`'s lease is announced as ended, or after `ms`. */
    wait(key: string, ms: number): Promise<void> {
      return new Promise((resolve) => {
        let wakers = waiting.get(key);
        if (!wakers) {
          wakers = new Set();
          waiting.set(key, wakers);
        }
        const own = wakers;
        const done = () => {
          clearTimeout(timer);
          own.delete(done);
          if (own.size === 0 && waiting.get(key) === own) waiting.delete(key);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        own.add(done);
      });
    },

    /** Tells every waiter for `key`, on every instance, that its lease ended with nothing else to announce. */
    async announceEnded(key: string): Promise<void> {
      if (bus) await bus.publish({ kind: 'lease_ended', id: key });
      else wake(key);
    },
  };
}

export type LeaseWaits = ReturnType<typeof createLeaseWaits>;
