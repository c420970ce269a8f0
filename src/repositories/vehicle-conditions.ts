/**
 * What providers reported about each vehicle's trouble (table `vehicle_conditions`, one row per type and code).
 * A report replaces the row only when it is newer than the one stored (`reportedAt`), in one statement, so
 * deliveries processed in any order, twice, or on two instances at once end in the newest report's state.
 */
import type { Database } from '../db/prisma-client.ts';
import { conditionOfRow, effectOf, type ReportedCondition } from '../vehicle-status/conditions.ts';
import type { StatusInput } from '../vehicle-status/vehicle-status.ts';
import type { DatabaseClient } from './database-client.ts';

/** At most this much of a provider's message for the person is kept. */
const MESSAGE_CHARS = 500;

export function createVehicleConditionRepository(db: Database) {
  return {
    /** Stores the report unless a newer one is stored; true when it was stored. */
    async apply(vehicleId: string, report: ReportedCondition, source: string, client: DatabaseClient = db) {
      const message = report.userMessage?.slice(0, MESSAGE_CHARS) ?? null;
      const stored = await client.$executeRaw`
        INSERT INTO vehicle_conditions
          (vehicle_id, type, code, state, reported_at, resolution, user_message, signals, source, updated_at)
        VALUES (${vehicleId}::uuid, ${report.type}, ${report.code}, ${report.state}, ${report.reportedAt},
                ${report.resolution}, ${message}, ${report.signals}::text[], ${source}, now())
        ON CONFLICT (vehicle_id, type, code) DO UPDATE
          SET state = EXCLUDED.state, reported_at = EXCLUDED.reported_at, resolution = EXCLUDED.resolution,
              user_message = EXCLUDED.user_message, signals = EXCLUDED.signals, source = EXCLUDED.source,
              updated_at = now()
          WHERE vehicle_conditions.reported_at < EXCLUDED.reported_at`;
      return stored > 0;
    },

    /**
     * A reconnect ends what needed it: the vehicles' open `reconnect` troubles are RESOLVED as of now, so a late
     * delivery of the report that raised them cannot raise them again (a newer one still can).
     */
    async resolveReconnected(vehicleIds: string[], client: DatabaseClient = db) {
      if (vehicleIds.length === 0) return;
      const open = await client.vehicleCondition.findMany({
        where: { vehicleId: { in: vehicleIds }, state: 'ERROR' },
        select: { vehicleId: true, type: true, code: true, resolution: true },
      });
      for (const row of open.filter((condition) => effectOf(condition) === 'reconnect')) {
        await client.vehicleCondition.update({
          where: { vehicleId_type_code: { vehicleId: row.vehicleId, type: row.type, code: row.code } },
          data: { state: 'RESOLVED', reportedAt: new Date(), source: 'reconnect' },
        });
      }
    },

    /** Every report stored about these vehicles, ended ones too (the account export). */
    async ofVehicles(vehicleIds: string[]) {
      return db.vehicleCondition.findMany({
        where: { vehicleId: { in: vehicleIds } },
        select: {
          vehicleId: true,
          type: true,
          code: true,
          state: true,
          reportedAt: true,
          resolution: true,
          userMessage: true,
          signals: true,
        },
        orderBy: [{ vehicleId: 'asc' }, { reportedAt: 'asc' }],
      });
    },

    /** What the status of one vehicle is made of: its connection and its open troubles. */
    async statusInput(vehicleId: string, client: DatabaseClient = db): Promise<StatusInput | null> {
      const row = await client.vehicle.findUnique({
        where: { id: vehicleId },
        select: {
          clearanceStatus: true,
          grant: { select: { status: true, kind: true, pendingApproval: true } },
          conditions: { where: { state: 'ERROR' }, orderBy: { reportedAt: 'asc' } },
        },
      });
      if (!row) return null;
      return {
        grantStatus: row.grant.status,
        connectionKind: row.grant.kind === 'fleet' ? 'fleet' : 'user',
        clearanceStatus: row.clearanceStatus,
        pendingApproval: row.grant.pendingApproval,
        conditions: row.conditions.map(conditionOfRow),
      };
    },
  };
}

export type VehicleConditionRepository = ReturnType<typeof createVehicleConditionRepository>;
