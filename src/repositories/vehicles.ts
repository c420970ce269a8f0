/**
 * Vehicles a user reaches, each under one connection (grant). The VIN is stored encrypted under the user's data key
 * (read with the row); only its last four characters are kept in clear. A provider that addresses vehicles by VIN (High Mobility) gets it decrypted for the
 * one call that needs it, never stored elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { VehicleDescription } from '../providers/provider-adapter.ts';
import type { DataKeys, UserSecrets } from '../vault/data-keys.ts';
import { conditionOfRow, type VehicleCondition } from '../vehicle-status/conditions.ts';
import type { DatabaseClient } from './database-client.ts';
import type { GrantRepository, GrantTokens } from './grants.ts';
import type { UserKeyRepository } from './user-keys.ts';

export type GrantStatus = 'active' | 'reauth_required' | 'revoked';

export interface OwnedVehicle {
  id: string;
  /** The person whose vehicle it is (for a machine client's call, not the caller). */
  userId: string;
  grantId: string;
  provider: string;
  /** `user`: reached with the consent's tokens; `fleet`: with the application's token (fleet clearance). */
  connectionKind: 'user' | 'fleet';
  providerVehicleId: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vinLast4: string | null;
  vinEnc: string | null;
  /** The owner's wrapped data key as read with the row: the VIN is opened with it only when a call needs it. */
  wrappedKey: string | null;
  grantStatus: GrantStatus;
  /** The consent awaits the carmaker's confirmation (High Mobility `pending`). */
  pendingApproval: boolean;
  /** Fleet vehicles: the provider's clearance status; null for consented vehicles. */
  clearanceStatus: string | null;
  scopes: string[];
  /** The consenting account at the provider (Smartcar v3 calls send it as `sc-user-id`). */
  providerAccountId: string | null;
  /** The troubles its provider reported and has not reported ended (vehicle-status/conditions.ts), oldest first. */
  conditions: VehicleCondition[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who reaches a vehicle: its owner, or a machine client assigned the owner or the vehicle (machine_access). */
export type Reach = { userId: string } | { machineClientId: string };

function reachCondition(reach: Reach): Prisma.Sql {
  return 'userId' in reach
    ? Prisma.sql`v.user_id = ${reach.userId}::uuid`
    : Prisma.sql`EXISTS (SELECT 1 FROM machine_access m
                         WHERE m.client_id = ${reach.machineClientId} AND (m.user_id = v.user_id OR m.vehicle_id = v.id))`;
}
const vinSlot = (rowId: string) => ({ table: 'vehicles', column: 'vin_enc', rowId });

interface ProxyRow {
  id: string;
  user_id: string;
  grant_id: string;
  provider: string;
  kind: string;
  provider_vehicle_id: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vin_last4: string | null;
  vin_enc: string | null;
  wrapped_key: string | null;
  clearance_status: string | null;
  status: string;
  pending_approval: boolean;
  scopes: string[] | null;
  version: number;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  access_expires_at: Date | null;
  refresh_expires_at: Date | null;
  provider_account_id: string | null;
  conditions: Array<{
    type: string;
    code: string;
    resolution: string | null;
    userMessage: string | null;
    signals: string[] | null;
    reportedAt: string;
  }> | null;
}

/** Reads the owner's wrapped data key along with a vehicle (Prisma `select`/`include`). */
const WITH_DATA_KEY = { select: { dataKey: { select: { wrappedKey: true } } } } as const;

export function createVehicleRepository(
  db: Database,
  dataKeys: DataKeys,
  userKeys: UserKeyRepository,
  grants: Pick<GrantRepository, 'fromRow'>,
) {
  const sealVin = (secrets: UserSecrets, id: string, vin: string | null) => ({
    vinEnc: vin ? secrets.encrypt(vin, vinSlot(id)) : null,
    vinLast4: vin ? vin.slice(-4) : null,
  });
  const openVin = (row: { id: string; userId: string; vinEnc: string | null; wrappedKey: string | null }) =>
    row.vinEnc ? dataKeys.secretsOf(row.userId, row.wrappedKey).decrypt(row.vinEnc, vinSlot(row.id)) : null;

  /**
   * The user's vehicle at this provider with this VIN, if any (`userId` undefined: any user's). VINs are stored
   * encrypted under their own row, so this decrypts the candidates' VINs: a user has a handful, a fleet a few
   * thousand at most, and only operator commands and connects ask.
   */
  async function findByVin(userId: string | undefined, provider: string, vin: string, client: DatabaseClient = db) {
    const last4 = vin.slice(-4);
    const candidates = await client.vehicle.findMany({
      where: { ...(userId ? { userId } : {}), provider, vinLast4: last4 },
      select: {
        id: true,
        providerVehicleId: true,
        vinEnc: true,
        userId: true,
        grantId: true,
        clearanceStatus: true,
        user: WITH_DATA_KEY,
      },
    });
    return (
      candidates.find((row) => openVin({ ...row, wrappedKey: row.user.dataKey?.wrappedKey ?? null }) === vin) ?? null
    );
  }

  return {
    /**
     * Adds the vehicle to the user under this grant, or moves one the user already has to it: the same provider
     * vehicle id, or (for providers whose consent names no vehicle id, like High Mobility) the same VIN.
     */
    async connect(
      input: { userId: string; grantId: string; provider: string; vehicle: VehicleDescription },
      client: DatabaseClient = db,
    ) {
      const { vin, make, model, year } = input.vehicle;
      const existing = input.vehicle.providerVehicleId
        ? await client.vehicle.findUnique({
            where: {
              userId_provider_providerVehicleId: {
                userId: input.userId,
                provider: input.provider,
                providerVehicleId: input.vehicle.providerVehicleId,
              },
            },
            select: { id: true, providerVehicleId: true },
          })
        : vin
          ? await findByVin(input.userId, input.provider, vin, client)
          : null;
      const id = existing?.id ?? randomUUID();
      const secrets = await userKeys.requireSecretsFor(input.userId, client);
      const data = { grantId: input.grantId, make, model, year, ...sealVin(secrets, id, vin) };
      if (existing) await client.vehicle.update({ where: { id }, data });
      else {
        await client.vehicle.create({
          data: {
            id,
            userId: input.userId,
            provider: input.provider,
            // A provider that names no vehicle id gets Keyfob's own, stable across reconnects (found by VIN).
            providerVehicleId: input.vehicle.providerVehicleId ?? randomUUID(),
            ...data,
          },
        });
      }
      return id;
    },

    findByVin,

    /** Adds a fleet vehicle (clearance requested) to the user's fleet connection, or updates its status. */
    async upsertFleetVehicle(
      input: { userId: string; grantId: string; provider: string; vin: string; make: string; clearanceStatus: string },
      client: DatabaseClient = db,
    ) {
      const existing = await findByVin(input.userId, input.provider, input.vin, client);
      if (existing) {
        await client.vehicle.update({
          where: { id: existing.id },
          data: { grantId: input.grantId, clearanceStatus: input.clearanceStatus },
        });
        return existing.id;
      }
      const id = randomUUID();
      const secrets = await userKeys.requireSecretsFor(input.userId, client);
      await client.vehicle.create({
        data: {
          id,
          userId: input.userId,
          grantId: input.grantId,
          provider: input.provider,
          providerVehicleId: randomUUID(),
          make: input.make,
          clearanceStatus: input.clearanceStatus,
          ...sealVin(secrets, id, input.vin),
        },
      });
      return id;
    },

    /** Every fleet vehicle at a provider, VINs decrypted, for the operator's clearance commands. */
    async listFleet(provider: string) {
      const rows = await db.vehicle.findMany({
        where: { provider, grant: { kind: 'fleet' } },
        select: { id: true, userId: true, vinEnc: true, make: true, clearanceStatus: true, user: WITH_DATA_KEY },
        orderBy: { createdAt: 'asc' },
      });
      return rows.map((row) => ({
        id: row.id,
        userId: row.userId,
        vin: openVin({ ...row, wrappedKey: row.user.dataKey?.wrappedKey ?? null }) ?? '',
        brand: row.make,
        clearanceStatus: row.clearanceStatus,
      }));
    },

    async setClearanceStatus(vehicleId: string, clearanceStatus: string) {
      await db.vehicle.update({ where: { id: vehicleId }, data: { clearanceStatus } });
    },

    /** The VIN of a vehicle as read by the proxy, decrypted for the one call that addresses the vehicle by it. */
    revealVin(vehicle: Pick<OwnedVehicle, 'id' | 'userId' | 'vinEnc' | 'wrappedKey'>): string | null {
      return openVin(vehicle);
    },

    /**
     * The proxy's one query: a vehicle in the caller's reach with its connection's status, scopes and tokens. One
     * round trip instead of three (vehicle, grant, tokens) on every proxied call.
     */
    async findWithTokens(
      reach: Reach,
      vehicleId: string,
    ): Promise<{ vehicle: OwnedVehicle; grant: GrantTokens } | null> {
      if (!UUID.test(vehicleId)) return null;
      const [row] = await db.$queryRaw<ProxyRow[]>`
        SELECT v.id::text AS id, v.user_id::text AS user_id, v.grant_id::text AS grant_id, v.provider, g.kind,
               v.provider_vehicle_id, v.make, v.model, v.year, v.vin_last4, v.vin_enc, v.clearance_status,
               g.status::text AS status, g.pending_approval, g.scopes, g.version, g.access_token_enc,
               g.refresh_token_enc, g.access_expires_at, g.refresh_expires_at, g.provider_account_id, k.wrapped_key,
               -- Open troubles, by the primary key's vehicle prefix: none at all for nearly every vehicle.
               (SELECT json_agg(json_build_object('type', c.type, 'code', c.code, 'resolution', c.resolution,
                                'userMessage', c.user_message, 'signals', c.signals, 'reportedAt', c.reported_at)
                                ORDER BY c.reported_at)
                FROM vehicle_conditions c WHERE c.vehicle_id = v.id AND c.state = 'ERROR') AS conditions
        FROM vehicles v JOIN grants g ON g.id = v.grant_id LEFT JOIN user_data_keys k ON k.user_id = v.user_id
        WHERE v.id = ${vehicleId}::uuid AND ${reachCondition(reach)}`;
      if (!row) return null;
      const status = row.status as GrantStatus;
      return {
        vehicle: {
          id: row.id,
          userId: row.user_id,
          grantId: row.grant_id,
          provider: row.provider,
          connectionKind: row.kind === 'fleet' ? 'fleet' : 'user',
          providerVehicleId: row.provider_vehicle_id,
          make: row.make,
          model: row.model,
          year: row.year,
          vinLast4: row.vin_last4,
          vinEnc: row.vin_enc,
          wrappedKey: row.wrapped_key,
          grantStatus: status,
          pendingApproval: row.pending_approval,
          clearanceStatus: row.clearance_status,
          scopes: row.scopes ?? [],
          providerAccountId: row.provider_account_id,
          conditions: (row.conditions ?? []).map(conditionOfRow),
        },
        grant: grants.fromRow({
          id: row.grant_id,
          userId: row.user_id,
          wrappedKey: row.wrapped_key,
          provider: row.provider,
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

    /**
     * The vehicles in the caller's reach, oldest first: a person's own, or those assigned to a machine client (found
     * by the proxy's own reach condition, so the list and the proxy can never disagree).
     */
    async listInReach(reach: Reach): Promise<OwnedVehicle[]> {
      const where: Prisma.VehicleWhereInput =
        'userId' in reach
          ? { userId: reach.userId }
          : {
              id: {
                in: (
                  await db.$queryRaw<Array<{ id: string }>>`
                    SELECT v.id::text AS id FROM vehicles v WHERE ${reachCondition(reach)}`
                ).map((row) => row.id),
              },
            };
      const rows = await db.vehicle.findMany({
        where,
        include: {
          grant: {
            select: { status: true, scopes: true, kind: true, pendingApproval: true, providerAccountId: true },
          },
          user: WITH_DATA_KEY,
          conditions: { where: { state: 'ERROR' }, orderBy: { reportedAt: 'asc' } },
        },
        orderBy: { createdAt: 'asc' },
      });
      return rows.map((row) => ({
        id: row.id,
        userId: row.userId,
        grantId: row.grantId,
        provider: row.provider,
        connectionKind: row.grant.kind === 'fleet' ? 'fleet' : 'user',
        providerVehicleId: row.providerVehicleId,
        make: row.make,
        model: row.model,
        year: row.year,
        vinLast4: row.vinLast4,
        vinEnc: row.vinEnc,
        wrappedKey: row.user.dataKey?.wrappedKey ?? null,
        grantStatus: row.grant.status,
        pendingApproval: row.grant.pendingApproval,
        clearanceStatus: row.clearanceStatus,
        scopes: row.grant.scopes,
        providerAccountId: row.grant.providerAccountId,
        conditions: row.conditions.map(conditionOfRow),
      }));
    },

    async remove(vehicleId: string, client: DatabaseClient = db) {
      await client.vehicle.delete({ where: { id: vehicleId } });
    },
  };
}

export type VehicleRepository = ReturnType<typeof createVehicleRepository>;
