/**
 * Vehicle signals received by webhook: every value once in the history (unique per vehicle, signal and the
 * signal's own timestamp, so a delivery processed twice adds nothing), and the newest per signal, replaced only by a
 * value with a later timestamp (an older event arriving late never overwrites a newer one). Values are sealed under
 * the owner's data key (a location is as sensitive as a token), which every read joins.
 */
import type { Database } from '../db/prisma-client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { DataKeys, UserSecrets } from '../vault/data-keys.ts';
import type { SignalValue } from '../webhooks/smartcar/events.ts';
import type { DatabaseClient } from './database-client.ts';

const historySlot = (vehicleId: string, code: string, at: Date) => ({
  table: 'vehicle_signal_history',
  column: 'value_enc',
  rowId: `${vehicleId}/${code}/${at.getTime()}`,
});
const latestSlot = (vehicleId: string, code: string) => ({
  table: 'vehicle_signals',
  column: 'value_enc',
  rowId: `${vehicleId}/${code}`,
});

export interface StoredSignal {
  /** The history row's id: the live stream's event id. */
  id: number;
  vehicleId: string;
  code: string;
  value: Record<string, unknown>;
  oemUpdatedAt: string;
}

type HistoryRow = {
  id: bigint;
  vehicle_id: string;
  code: string;
  value_enc: string;
  oem_updated_at: Date;
  user_id: string;
  wrapped_key: string | null;
};

/** The owner and their wrapped data key, for a query over `vehicle_signal_history h`. */
const HISTORY_COLUMNS = Prisma.sql`h.id, h.vehicle_id::text AS vehicle_id, h.code, h.value_enc, h.oem_updated_at,
  v.user_id::text AS user_id, k.wrapped_key`;
const OWNER_JOIN = Prisma.sql`JOIN vehicles v ON v.id = h.vehicle_id LEFT JOIN user_data_keys k ON k.user_id = v.user_id`;

export function createVehicleSignalRepository(db: Database, dataKeys: DataKeys) {
  const open = (row: HistoryRow): StoredSignal => ({
    id: Number(row.id),
    vehicleId: row.vehicle_id,
    code: row.code,
    value: JSON.parse(
      dataKeys
        .secretsOf(row.user_id, row.wrapped_key)
        .decrypt(row.value_enc, historySlot(row.vehicle_id, row.code, row.oem_updated_at)),
    ),
    oemUpdatedAt: row.oem_updated_at.toISOString(),
  });

  return {
    /**
     * Applies an event's signals to a vehicle, sealed under its owner's data key; returns how many were new, and how
     * many were older than stored.
     */
    async apply(
      vehicleId: string,
      secrets: UserSecrets,
      signals: SignalValue[],
      eventId: string,
      client: DatabaseClient,
    ) {
      let added = 0;
      let stale = 0;
      for (const signal of signals) {
        const text = JSON.stringify(signal.value);
        const [inserted] = await client.$queryRaw<Array<{ id: bigint }>>`
          INSERT INTO vehicle_signal_history (vehicle_id, code, value_enc, oem_updated_at, event_id)
          VALUES (${vehicleId}::uuid, ${signal.code}, ${secrets.encrypt(text, historySlot(vehicleId, signal.code, signal.oemUpdatedAt))},
                  ${signal.oemUpdatedAt}, ${eventId})
          ON CONFLICT (vehicle_id, code, oem_updated_at) DO NOTHING
          RETURNING id`;
        if (!inserted) continue;
        added++;
        const updated = await client.$executeRaw`
          INSERT INTO vehicle_signals (vehicle_id, code, value_enc, oem_updated_at, history_id)
          VALUES (${vehicleId}::uuid, ${signal.code}, ${secrets.encrypt(text, latestSlot(vehicleId, signal.code))},
                  ${signal.oemUpdatedAt}, ${inserted.id})
          ON CONFLICT (vehicle_id, code) DO UPDATE
            SET value_enc = EXCLUDED.value_enc, oem_updated_at = EXCLUDED.oem_updated_at, history_id = EXCLUDED.history_id
            WHERE vehicle_signals.oem_updated_at < EXCLUDED.oem_updated_at`;
        if (updated === 0) stale++;
      }
      return { added, stale };
    },

    /** The newest value of each signal of a vehicle. */
    async latest(
      vehicleId: string,
    ): Promise<Array<{ code: string; value: Record<string, unknown>; oemUpdatedAt: string }>> {
      const rows = await db.$queryRaw<
        Array<{ code: string; value_enc: string; oem_updated_at: Date; user_id: string; wrapped_key: string | null }>
      >`
        SELECT s.code, s.value_enc, s.oem_updated_at, v.user_id::text AS user_id, k.wrapped_key
        FROM vehicle_signals s JOIN vehicles v ON v.id = s.vehicle_id
        LEFT JOIN user_data_keys k ON k.user_id = v.user_id
        WHERE s.vehicle_id = ${vehicleId}::uuid ORDER BY s.code`;
      return rows.map((row) => ({
        code: row.code,
        value: JSON.parse(
          dataKeys.secretsOf(row.user_id, row.wrapped_key).decrypt(row.value_enc, latestSlot(vehicleId, row.code)),
        ),
        oemUpdatedAt: row.oem_updated_at.toISOString(),
      }));
    },

    /** A user's history rows after `afterId` (the live stream's replay), oldest first. */
    async since(userId: string, afterId: number, limit: number): Promise<StoredSignal[]> {
      const rows = await db.$queryRaw<HistoryRow[]>`
        SELECT ${HISTORY_COLUMNS}
        FROM vehicle_signal_history h ${OWNER_JOIN}
        WHERE v.user_id = ${userId}::uuid AND h.id > ${afterId}
        ORDER BY h.id LIMIT ${limit}`;
      return rows.map(open);
    },

    /** Every stored value of a user's vehicles, oldest first (the account export). */
    async historyOf(userId: string): Promise<StoredSignal[]> {
      const rows = await db.$queryRaw<HistoryRow[]>`
        SELECT ${HISTORY_COLUMNS}
        FROM vehicle_signal_history h ${OWNER_JOIN}
        WHERE v.user_id = ${userId}::uuid ORDER BY h.id`;
      return rows.map(open);
    },

    /** The last history id of a user's vehicles (0 when none): where a fresh stream starts. */
    async lastId(userId: string): Promise<number> {
      const [row] = await db.$queryRaw<Array<{ id: bigint | null }>>`
        SELECT max(h.id) AS id FROM vehicle_signal_history h JOIN vehicles v ON v.id = h.vehicle_id
        WHERE v.user_id = ${userId}::uuid`;
      return Number(row?.id ?? 0);
    },

    /** Deletes history received more than `keepMs` ago, except each signal's current value. */
    async prune(keepMs: number): Promise<number> {
      return db.$executeRaw`
        DELETE FROM vehicle_signal_history h
        WHERE h.received_at < ${new Date(Date.now() - keepMs)}
          AND NOT EXISTS (SELECT 1 FROM vehicle_signals s WHERE s.history_id = h.id)`;
    },

    /** A vehicle's values of these signals by their own time, oldest first (the dashboard's chart). */
    async trend(vehicleId: string, codes: string[], limit: number): Promise<StoredSignal[]> {
      const rows = await db.$queryRaw<HistoryRow[]>`
        SELECT * FROM (
          SELECT ${HISTORY_COLUMNS}
          FROM vehicle_signal_history h ${OWNER_JOIN}
          WHERE h.vehicle_id = ${vehicleId}::uuid AND h.code = ANY(${codes}::text[])
          ORDER BY h.oem_updated_at DESC LIMIT ${limit}) recent
        ORDER BY oem_updated_at`;
      return rows.map(open);
    },
  };
}

export type VehicleSignalRepository = ReturnType<typeof createVehicleSignalRepository>;
