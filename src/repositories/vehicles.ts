/** Vehicles a user connected. The VIN is stored encrypted; only its last four characters are kept in clear. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { VehicleDescription } from '../providers/provider-adapter.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import type { DatabaseClient } from './database-client.ts';

export interface OwnedVehicle {
  id: string;
  grantId: string;
  providerVehicleId: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vinLast4: string | null;
  grantStatus: 'active' | 'reauth_required' | 'revoked';
  scopes: string[];
  /** The owner's id at the provider (Smartcar v3 calls send it as `sc-user-id`). */
  providerUserId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createVehicleRepository(db: Database, vault: TokenVault) {
  return {
    /** Adds the vehicle, or moves an already connected one to this grant. */
    async connect(
      input: { userId: string; grantId: string; provider: string; vehicle: VehicleDescription },
      client: DatabaseClient = db,
    ) {
      const existing = await client.vehicle.findUnique({
        where: {
          userId_provider_providerVehicleId: {
            userId: input.userId,
            provider: input.provider,
            providerVehicleId: input.vehicle.providerVehicleId,
          },
        },
        select: { id: true },
      });
      const id = existing?.id ?? randomUUID();
      const { vin, make, model, year } = input.vehicle;
      const data = {
        grantId: input.grantId,
        make,
        model,
        year,
        vinEnc: vin ? vault.encrypt(vin, { table: 'vehicles', column: 'vin_enc', rowId: id }) : null,
        vinLast4: vin ? vin.slice(-4) : null,
      };
      if (existing) await client.vehicle.update({ where: { id }, data });
      else {
        await client.vehicle.create({
          data: {
            id,
            userId: input.userId,
            provider: input.provider,
            providerVehicleId: input.vehicle.providerVehicleId,
            ...data,
          },
        });
      }
      return id;
    },

    /** The user's vehicle, or null when it is not theirs (or not a vehicle id at all). */
    async findOwned(userId: string, vehicleId: string): Promise<OwnedVehicle | null> {
      if (!UUID.test(vehicleId)) return null;
      const row = await db.vehicle.findFirst({
        where: { id: vehicleId, userId },
        include: { grant: { select: { status: true, scopes: true } }, user: { select: { providerUserId: true } } },
      });
      return row ? toOwned(row) : null;
    },

    async listOwned(userId: string): Promise<OwnedVehicle[]> {
      const rows = await db.vehicle.findMany({
        where: { userId },
        include: { grant: { select: { status: true, scopes: true } }, user: { select: { providerUserId: true } } },
        orderBy: { createdAt: 'asc' },
      });
      return rows.map(toOwned);
    },

    async remove(vehicleId: string, client: DatabaseClient = db) {
      await client.vehicle.delete({ where: { id: vehicleId } });
    },
  };
}

function toOwned(row: {
  id: string;
  grantId: string;
  providerVehicleId: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vinLast4: string | null;
  grant: { status: OwnedVehicle['grantStatus']; scopes: string[] };
  user: { providerUserId: string };
}): OwnedVehicle {
  return {
    id: row.id,
    grantId: row.grantId,
    providerVehicleId: row.providerVehicleId,
    make: row.make,
    model: row.model,
    year: row.year,
    vinLast4: row.vinLast4,
    grantStatus: row.grant.status,
    scopes: row.grant.scopes,
    providerUserId: row.user.providerUserId,
  };
}

export type VehicleRepository = ReturnType<typeof createVehicleRepository>;
