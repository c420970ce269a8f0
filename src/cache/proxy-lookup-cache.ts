/**
 * The proxy's vehicle-and-grant lookup, cached per (user, vehicle) (see coherent-cache.ts). The key holds the user
 * id, so one user's entry can never answer another user's request. Entries go when their grant changes
 * (refreshed, refused, retired) or their user's vehicles change (connect, disconnect), on any instance, and after
 * 10 seconds regardless. A cached access token that the provider refuses is handled like any stale token: the
 * 401 path re-reads the grant under its lock.
 */
import type { GrantTokens } from '../repositories/grants.ts';
import type { OwnedVehicle } from '../repositories/vehicles.ts';
import { CoherentCache } from './coherent-cache.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

export interface ProxyLookup {
  vehicle: OwnedVehicle;
  grant: GrantTokens;
}

export function createProxyLookupCache(bus: InvalidationBus, maxAgeMs = 10_000) {
  const cache = new CoherentCache<ProxyLookup | null>(bus, 50_000, maxAgeMs);
  bus.onMessage((message) => {
    if (message.kind === 'grant') cache.evictWhere((entry) => entry?.vehicle.grantId === message.id);
    if (message.kind === 'user') cache.evictWhere((_entry, key) => key.startsWith(`${message.id}:`));
  });
  return {
    get(userId: string, vehicleId: string, load: () => Promise<ProxyLookup | null>): Promise<ProxyLookup | null> {
      // Only live grants are kept: a missing vehicle or a dead grant is read again every time.
      return cache.load(`${userId}:${vehicleId}`, load, (found) => found?.vehicle.grantStatus === 'active');
    },
  };
}
