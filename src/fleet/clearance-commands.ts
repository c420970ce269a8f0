/**
 * What the operator's fleet commands do (src/cli/fleet.ts runs them): ask High Mobility to clear vehicles for a
 * Keyfob user, bring Keyfob's clearance statuses up to date, remove a vehicle. Vehicles join the user under their
 * fleet connection (no tokens of their own: the fleet token reaches them) and show their status until approved.
 * Output rows hold masked VINs only.
 */
import type { FastifyInstance } from 'fastify';
import { maskVin } from '../logging/mask.ts';
import type { ClearanceItem, FleetClearance, ProviderAdapter } from '../providers/provider-adapter.ts';

export class FleetCommandError extends Error {}

/** The provider's clearance API over the application-token manager (one fetch at a time, across instances). */
export function fleetClearanceOf(app: FastifyInstance, adapter: ProviderAdapter): FleetClearance {
  if (!adapter.fleet || !adapter.appTokens) throw new FleetCommandError(`${adapter.displayName} has no fleet access`);
  const request = adapter.appTokens.request;
  return adapter.fleet.clearance({
    token: () => app.appTokens.get(request),
    renew: async (refused) => {
      await app.appTokens.invalidate(request, refused);
      return app.appTokens.get(request);
    },
  });
}

export function fleetCommands(app: FastifyInstance, clearance: FleetClearance, provider = 'highmobility') {
  const vehicles = app.repos.vehicles;
  const row = (item: ClearanceItem, userId: string | null) => ({
    vin: maskVin(item.vin),
    status: item.status,
    user: userId,
    ...(item.description ? { description: item.description } : {}),
  });

  /** Records the provider's status of one vehicle, if it is one of ours; every instance drops its cached copy. */
  async function sync(item: ClearanceItem, known: Awaited<ReturnType<typeof vehicles.listFleet>>) {
    const mine = known.find((vehicle) => vehicle.vin === item.vin);
    if (mine && mine.clearanceStatus !== item.status) {
      await vehicles.setClearanceStatus(mine.id, item.status);
      await app.bus.publish({ kind: 'user', id: mine.userId });
    }
    return row(item, mine?.userId ?? null);
  }

  return {
    async add(userId: string, brand: string, vins: string[]) {
      if (!(await app.repos.users.exists(userId))) throw new FleetCommandError(`no Keyfob user ${userId}`);
      const answered = await clearance.add(vins.map((vin) => ({ vin, brand })));
      const scopes = app.providerFor(provider).fleet?.scopes ?? [];
      const grantId = await app.repos.grants.fleetConnection(userId, provider, scopes);
      for (const item of answered) {
        if (item.status === 'error') continue;
        await vehicles.upsertFleetVehicle({
          userId,
          grantId,
          provider,
          vin: item.vin,
          make: brand.toUpperCase().replace(/-/g, ' '),
          clearanceStatus: item.status,
        });
      }
      await app.bus.publish({ kind: 'user', id: userId });
      return answered.map((item) => row(item, userId));
    },

    async list() {
      const known = await vehicles.listFleet(provider);
      const rows = [];
      for (const item of await clearance.list()) rows.push(await sync(item, known));
      return rows;
    },

    async remove(vin: string) {
      return [await sync(await clearance.remove(vin), await vehicles.listFleet(provider))];
    },
  };
}
