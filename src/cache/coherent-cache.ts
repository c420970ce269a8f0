/**
 * An in-process cache kept coherent by the invalidation bus. It serves only while the bus is healthy, and a value
 * loaded from the store is kept only if no invalidation arrived while it was being loaded: otherwise a read that
 * began before a logout or a refresh could put the old value back after the eviction (fill after invalidate).
 * An epoch counter, bumped by every eviction, tells whether one arrived.
 */
import { BoundedMap } from './bounded-map.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export class CoherentCache<V> {
  #entries: BoundedMap<string, V>;
  #epoch = 0;

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
    if (this.bus.healthy()) {
      const cached = this.#entries.get(key);
      if (cached !== undefined) return cached;
    }
    const epoch = this.#epoch;
    const value = await loader();
    if (epoch === this.#epoch && this.bus.healthy() && keep(value)) this.#entries.set(key, value);
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
