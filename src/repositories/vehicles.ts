/** Vehicles a user connected. The VIN is stored encrypted; only its last four characters are kept in clear. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { VehicleDescription } from '../providers/provider-adapter.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import type { DatabaseClient } from './database-client.ts';
import type { GrantRepository, GrantTokens } from './grants.ts';

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

interface ProxyRow {
  id: string;
  grant_id: string;
  provider_vehicle_id: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vin_last4: string | null;
  status: string;
  scopes: string[] | null;
  version: number;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  access_expires_at: Date | null;
  refresh_expires_at: Date | null;
  provider_user_id: string;
}

export function createVehicleRepository(db: Database, vault: TokenVault, grants: Pick<GrantRepository, 'fromRow'>) {
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

    /**
     * The proxy's one query: the user's vehicle with its grant's status, scopes and tokens, and the owner's
     * provider id. One round trip instead of four (vehicle, grant, user, tokens) on every proxied call.
     */
    async findOwnedWithTokens(
      userId: string,
      vehicleId: string,
    ): Promise<{ vehicle: OwnedVehicle; grant: GrantTokens } | null> {
      if (!UUID.test(vehicleId)) return null;
      const [row] = await db.$queryRaw<ProxyRow[]>`
        SELECT v.id::text AS id, v.grant_id::text AS grant_id, v.provider_vehicle_id, v.make, v.model, v.year, v.vin_last4,
               g.status::text AS status, g.scopes, g.version, g.access_token_enc, g.refresh_token_enc,
               g.access_expires_at, g.refresh_expires_at, u.provider_user_id
        FROM vehicles v JOIN grants g ON g.id = v.grant_id JOIN users u ON u.id = v.user_id
        WHERE v.id = ${vehicleId}::uuid AND v.user_id = ${userId}::uuid`;
      if (!row) return null;
      const status = row.status as OwnedVehicle['grantStatus'];
      return {
        vehicle: {
          id: row.id,
          grantId: row.grant_id,
          providerVehicleId: row.provider_vehicle_id,
          make: row.make,
          model: row.model,
          year: row.year,
          vinLast4: row.vin_last4,
          grantStatus: status,
          scopes: row.scopes ?? [],
          providerUserId: row.provider_user_id,
        },
        grant: grants.fromRow({
          id: row.grant_id,
          status,
          version: row.version,
          scopes: row.scopes ?? [],
          accessTokenEnc: row.access_token_enc,
          refreshTokenEnc: row.refresh_token_enc,
          accessExpiresAt: row.access_expires_at,
          refreshExpiresAt: row.refresh_expires_at,
        }),
      };
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

function toOwned(
  row: Omit<OwnedVehicle, 'grantStatus' | 'scopes' | 'providerUserId'> & {
    grant: { status: OwnedVehicle['grantStatus']; scopes: string[] };
    user: { providerUserId: string };
  },
): OwnedVehicle {
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
