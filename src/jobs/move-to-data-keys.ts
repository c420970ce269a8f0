/**
 * The move to per-user data keys: re-seals every secret of a user still under the key ring (`kv1`, written before
 * data keys existed) under that user's data key (`ku1`), making the data keys of users who have none. Runs in the
 * background at every start (and first in `npm run rotate-keys`), while Keyfob serves: both formats decrypt
 * throughout, so nothing waits for it.
 *
 * Each batch locks its rows (`FOR UPDATE ... SKIP LOCKED`) and writes them back in one statement, so it never waits
 * on nor overwrites a refresh in progress (a locked row is picked up by a later pass; the refresh itself writes the
 * new format). The plaintext does not change, so a grant's version does not either. Resumable: every pass selects
 * what is still `kv1`, so a run that stops is simply run again, on any instance, several at once.
 */
import type { Database } from '../db/prisma-client.ts';
import type { DataKeys } from '../vault/data-keys.ts';
import type { VaultSlot } from '../vault/token-vault.ts';
import { inBatches, resealBatch } from './in-batches.ts';

interface SealedRow {
  id: string;
  user_id: string;
  wrapped_key: string;
  value: string;
  vehicle_id?: string;
  code?: string;
  oem_updated_at?: Date;
}

/** A column holding secrets of a user: how to find its `kv1` rows with their owner's key, and each value's slot. */
interface UserSecretColumn {
  name: string;
  /**
   * Selects `id`, `user_id`, `wrapped_key`, `value` (and the slot's parts) of up to $1 rows still under the ring,
   * in the order of `id`, after the id $2: each pass walks the table once instead of from its start every batch.
   */
  select: string;
  /** Where a pass starts (below every id). */
  start: string;
  /** Writes the re-sealed values: $1 the ids (text[]), $2 the values (text[]). */
  update: string;
  slot(row: SealedRow): VaultSlot;
}

const RING_VALUE = `LIKE 'kv1.%'`;

/** A table keyed by a uuid `id` with a `user_id`: grants, vehicles, oidc_sessions. */
function ownedColumn(table: string, column: string): UserSecretColumn {
  return {
    name: `${table}.${column}`,
    select: `SELECT t.id::text AS id, t.user_id::text AS user_id, k.wrapped_key, t.${column} AS value
             FROM ${table} t JOIN user_data_keys k ON k.user_id = t.user_id
             WHERE t.${column} ${RING_VALUE} AND t.id > $2::uuid ORDER BY t.id LIMIT $1 FOR UPDATE OF t SKIP LOCKED`,
    start: '00000000-0000-0000-0000-000000000000',
    update: `UPDATE ${table} t SET ${column} = u.value FROM unnest($1::text[], $2::text[]) AS u(id, value)
             WHERE t.id = u.id::uuid`,
    slot: (row) => ({ table, column, rowId: row.id }),
  };
}

export const USER_SECRET_COLUMNS: readonly UserSecretColumn[] = [
  ownedColumn('grants', 'access_token_enc'),
  ownedColumn('grants', 'refresh_token_enc'),
  ownedColumn('vehicles', 'vin_enc'),
  ownedColumn('oidc_sessions', 'id_token_enc'),
  ownedColumn('oidc_sessions', 'access_token_enc'),
  ownedColumn('oidc_sessions', 'refresh_token_enc'),
  {
    name: 'vehicle_signals.value_enc',
    select: `SELECT t.vehicle_id::text || '/' || t.code AS id, v.user_id::text AS user_id, k.wrapped_key,
               t.value_enc AS value
             FROM vehicle_signals t JOIN vehicles v ON v.id = t.vehicle_id JOIN user_data_keys k ON k.user_id = v.user_id
             WHERE t.value_enc ${RING_VALUE} AND t.vehicle_id::text || '/' || t.code > $2
             ORDER BY t.vehicle_id::text || '/' || t.code LIMIT $1 FOR UPDATE OF t SKIP LOCKED`,
    start: '',
    update: `UPDATE vehicle_signals t SET value_enc = u.value FROM unnest($1::text[], $2::text[]) AS u(id, value)
             WHERE t.vehicle_id::text || '/' || t.code = u.id`,
    slot: (row) => ({ table: 'vehicle_signals', column: 'value_enc', rowId: row.id }),
  },
  {
    name: 'vehicle_signal_history.value_enc',
    select: `SELECT t.id::text AS id, t.vehicle_id::text AS vehicle_id, t.code, t.oem_updated_at,
               v.user_id::text AS user_id, k.wrapped_key, t.value_enc AS value
             FROM vehicle_signal_history t JOIN vehicles v ON v.id = t.vehicle_id
             JOIN user_data_keys k ON k.user_id = v.user_id
             WHERE t.value_enc ${RING_VALUE} AND t.id > $2::bigint ORDER BY t.id LIMIT $1 FOR UPDATE OF t SKIP LOCKED`,
    start: '0',
    update: `UPDATE vehicle_signal_history t SET value_enc = u.value FROM unnest($1::text[], $2::text[]) AS u(id, value)
             WHERE t.id = u.id::bigint`,
    slot: (row) => ({
      table: 'vehicle_signal_history',
      column: 'value_enc',
      rowId: `${row.vehicle_id}/${row.code}/${row.oem_updated_at?.getTime()}`,
    }),
  },
];

export interface MoveReport {
  dataKeysMade: number;
  moved: Record<string, number>;
  movedTotal: number;
  /** Values of users still under the ring (rows locked on every pass); 0 means the move is complete. */
  remaining: number;
}

export async function moveToDataKeys(options: {
  db: Database;
  dataKeys: DataKeys;
  kekId: string;
  batchSize?: number;
  maxIdlePasses?: number;
  onBatch?: (column: string, count: number) => void | Promise<void>;
  signal?: AbortSignal;
}): Promise<MoveReport> {
  const { db, dataKeys } = options;
  const batchSize = options.batchSize ?? 1000;
  const dataKeysMade = await makeMissingDataKeys(db, dataKeys, options.kekId, batchSize);
  const moved: Record<string, number> = {};
  for (const column of USER_SECRET_COLUMNS) {
    moved[column.name] = await inBatches({
      batch: resealBatch<SealedRow>({
        db,
        batchSize,
        select: column.select,
        update: column.update,
        reseal: (row) => {
          const secrets = dataKeys.secretsOf(row.user_id, row.wrapped_key);
          const slot = column.slot(row);
          return secrets.encrypt(secrets.decrypt(row.value, slot), slot);
        },
      }),
      start: column.start,
      left: () => countUnderRing(db, column),
      onBatch: (count) => options.onBatch?.(column.name, count),
      maxIdlePasses: options.maxIdlePasses ?? 50,
      signal: options.signal,
    });
  }
  let remaining = 0;
  for (const column of USER_SECRET_COLUMNS) remaining += await countUnderRing(db, column);
  const movedTotal = Object.values(moved).reduce((sum, count) => sum + count, 0);
  return { dataKeysMade, moved, movedTotal, remaining };
}

async function makeMissingDataKeys(db: Database, dataKeys: DataKeys, kekId: string, batchSize: number) {
  let made = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const users = await db.$queryRaw<Array<{ id: string }>>`
      SELECT u.id::text AS id FROM users u
      WHERE u.id > ${after}::uuid AND NOT EXISTS (SELECT 1 FROM user_data_keys k WHERE k.user_id = u.id)
      ORDER BY u.id LIMIT ${batchSize}`;
    if (users.length === 0) return made;
    after = users.at(-1)?.id as string;
    // A user erased meanwhile gets no key (the join finds nobody); one made meanwhile by a write keeps its own.
    made += await db.$executeRaw`
      INSERT INTO user_data_keys (user_id, kek_id, wrapped_key)
      SELECT u.id, ${kekId}, w.wrapped FROM unnest(${users.map((user) => user.id)}::uuid[],
        ${users.map((user) => dataKeys.generateWrapped(user.id))}::text[]) AS w(id, wrapped)
      JOIN users u ON u.id = w.id
      ON CONFLICT (user_id) DO NOTHING`;
  }
}

/** Values of this column still under the ring, whether their owner has a data key yet or not. */
async function countUnderRing(db: Database, column: UserSecretColumn): Promise<number> {
  const [table, name] = column.name.split('.') as [string, string];
  const [row] = await db.$queryRawUnsafe<Array<{ count: bigint }>>(
    `SELECT count(*) AS count FROM ${table} WHERE ${name} ${RING_VALUE}`,
  );
  return Number(row?.count ?? 0);
}
