/**
 * The proxy's vehicle-and-grant lookup, cached per (user, vehicle) while the invalidation bus is healthy. The key
 * holds the user id, so one user's entry can never answer another user's request. Entries go when their grant
 * changes (refreshed, refused, retired) or their user's vehicles change (connect, disconnect), on any instance,
 * and after 10 seconds regardless. A cached access token that the provider refuses is handled like any stale
 * token: the 401 path re-reads the grant under its lock.
 */
import type { GrantTokens } from '../repositories/grants.ts';
import type { OwnedVehicle } from '../repositories/vehicles.ts';
import { BoundedMap } from './bounded-map.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export interface ProxyLookup {
  vehicle: OwnedVehicle;
  grant: GrantTokens;
}

export function createProxyLookupCache(bus: InvalidationBus, maxAgeMs = 10_000) {
  const cache = new BoundedMap<string, ProxyLookup>(50_000, maxAgeMs);
  bus.onMessage((message) => {
    if (message.kind === 'grant') cache.deleteWhere((entry) => entry.vehicle.grantId === message.id);
    if (message.kind === 'user') cache.deleteWhere((_entry, key) => key.startsWith(`${message.id}:`));
  });
  bus.onReset(() => cache.clear());
  return {
    async get(userId: string, vehicleId: string, load: () => Promise<ProxyLookup | null>): Promise<ProxyLookup | null> {
      const key = `${userId}:${vehicleId}`;
      if (bus.healthy()) {
        const cached = cache.get(key);
        if (cached) return cached;
      }
      const found = await load();
      if (found && found.vehicle.grantStatus === 'active' && bus.healthy()) cache.set(key, found);
      return found;
    },
  };
}
