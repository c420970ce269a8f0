/**
 * An in-process cache kept coherent by the invalidation bus. It serves only while the bus is healthy, and a value
 * loaded from the store is kept only if no invalidation arrived while it was being loaded: otherwise a read that
 * began before a logout or a refresh could put the old value back after the eviction (fill after invalidate).
 * An epoch counter, bumped by every eviction, tells whether one arrived.
 *
 * Concurrent misses for one key share one load (a single flight): when an entry ages out under traffic, one
 * query refills it instead of one per request arriving meanwhile, which on a busy instance fed on itself (every
 * query slowed the others, so more requests missed and queried). A request joins a flight only if nothing was
 * evicted since it began, so it never gets a value older than an invalidation it could have seen.
 */
import { BoundedMap } from './bounded-map.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export class CoherentCache<V> {
  #entries: BoundedMap<string, V>;
  #epoch = 0;
  #flights = new Map<string, { epoch: number; value: Promise<V> }>();

  constructor(
    private readonly bus: InvalidationBus,
    maxEntries: number,
    maxAgeMs: number,
  ) {
    this.#entries = new BoundedMap(maxEntries, maxAgeMs);
    bus.onReset(() => this.evictWhere(() => true));
  }

  /** The cached value, or the loaded one (kept when `keep` allows and nothing was evicted meanwhile). */
  async load(key: string, loader: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    if (!this.bus.healthy()) return loader();
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const epoch = this.#epoch;
    const flight = this.#flights.get(key);
    if (flight && flight.epoch === epoch) return flight.value;
    const value = loader().then((loaded) => {
      if (epoch === this.#epoch && this.bus.healthy() && keep(loaded)) this.#entries.set(key, loaded);
      return loaded;
    });
    const own = { epoch, value };
    this.#flights.set(key, own);
    const land = () => {
      if (this.#flights.get(key) === own) this.#flights.delete(key);
    };
    value.then(land, land);
    return value;
  }

  evict(key: string): void {
    this.#epoch += 1;
    this.#entries.delete(key);
  }

  evictWhere(test: (value: V, key: string) => boolean): void {
    this.#epoch += 1;
    this.#entries.deleteWhere(test);
  }
}
