/**
 * Key rotation after the first key of TOKEN_ENCRYPTION_KEYS changed: re-wraps every user's data key under it (one
 * row per user, however many secrets they have), re-encrypts the few secrets that belong to no user (application
 * tokens, webhook bodies not yet processed), and first finishes the move of any user secret still under the ring
 * (move-to-data-keys.ts), so that no value depends on an old key afterwards.
 *
 * In batches while Keyfob serves: each batch locks its rows (`FOR UPDATE SKIP LOCKED`), so it never waits on nor
 * overwrites a write in progress, and writes them back in one statement. Re-wrapping does not change a data key, so
 * every value sealed under it stays as it is; a request that read the old wrapping a moment ago still opens it
 * (the old key is still in the ring). Resumable: every pass selects what is not yet under the first key.
 *
 * Order of operations: deploy the new ring (new key first, old key kept) to every instance, run this, then remove
 * the old key.
 */
import type { Database } from '../db/prisma-client.ts';
import type { DataKeys } from '../vault/data-keys.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import { inBatches, resealBatch } from './in-batches.ts';
import { moveToDataKeys } from './move-to-data-keys.ts';

/** Secrets of no user, sealed under the ring itself: re-encrypted value by value (there are few). */
const RING_COLUMNS = [
  { table: 'app_tokens', column: 'token_enc', key: 'cache_key', keyType: 'text', start: '' },
  {
    table: 'webhook_deliveries',
    column: 'body_enc',
    key: 'id',
    keyType: 'uuid',
    start: '00000000-0000-0000-0000-000000000000',
  },
] as const;

export interface RotationReport {
  /** User secrets moved from the ring to their data keys on the way. */
  moved: number;
  rewrapped: number;
  reencrypted: Record<string, number>;
  /** Values still under another key (rows locked on every pass); 0 means the old keys can be removed. */
  remaining: number;
}

export async function rotateKeys(options: {
  db: Database;
  vault: TokenVault;
  dataKeys: DataKeys;
  batchSize?: number;
  maxIdlePasses?: number;
  onBatch?: (what: string, count: number) => void | Promise<void>;
}): Promise<RotationReport> {
  const { db, vault, dataKeys } = options;
  const batchSize = options.batchSize ?? 1000;
  const maxIdlePasses = options.maxIdlePasses ?? 50;
  const kekId = vault.currentKeyId;
  const move = await moveToDataKeys({
    db,
    dataKeys,
    kekId,
    batchSize,
    maxIdlePasses,
    onBatch: options.onBatch,
  });

  const wrappedElsewhere = async () => {
    const [row] = await db.$queryRaw<Array<{ count: bigint }>>`
      SELECT count(*) AS count FROM user_data_keys WHERE kek_id <> ${kekId}`;
    return Number(row?.count ?? 0);
  };
  const firstUuid = '00000000-0000-0000-0000-000000000000';
  const rewrapped = await inBatches({
    batch: resealBatch<{ id: string; value: string }>({
      db,
      batchSize,
      select: `SELECT user_id::text AS id, wrapped_key AS value FROM user_data_keys
               WHERE user_id > $2::uuid AND kek_id <> $3 ORDER BY user_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      selectParams: [kekId],
      update: `UPDATE user_data_keys k SET wrapped_key = u.wrapped, kek_id = $3, rewrapped_at = now()
               FROM unnest($1::text[], $2::text[]) AS u(id, wrapped) WHERE k.user_id = u.id::uuid`,
      updateParams: [kekId],
      reseal: (row) => dataKeys.rewrap(row.id, row.value),
    }),
    start: firstUuid,
    left: wrappedElsewhere,
    onBatch: (count) => options.onBatch?.('user_data_keys.wrapped_key', count),
    maxIdlePasses,
  });

  const current = `kv1.${kekId}.%`;
  const reencrypted: Record<string, number> = {};
  const notCurrent = (table: string, column: string) => async () => {
    const [row] = await db.$queryRawUnsafe<Array<{ count: bigint }>>(
      `SELECT count(*) AS count FROM ${table} WHERE ${column} LIKE 'kv1.%' AND ${column} NOT LIKE $1`,
      current,
    );
    return Number(row?.count ?? 0);
  };
  for (const { table, column, key, keyType, start } of RING_COLUMNS) {
    const name = `${table}.${column}`;
    reencrypted[name] = await inBatches({
      batch: resealBatch<{ id: string; value: string }>({
        db,
        batchSize,
        select: `SELECT ${key}::text AS id, ${column} AS value FROM ${table}
                 WHERE ${key} > $2::${keyType} AND ${column} LIKE 'kv1.%' AND ${column} NOT LIKE $3
                 ORDER BY ${key} LIMIT $1 FOR UPDATE SKIP LOCKED`,
        selectParams: [current],
        update: `UPDATE ${table} t SET ${column} = u.value FROM unnest($1::text[], $2::text[]) AS u(id, value)
                 WHERE t.${key} = u.id::${keyType}`,
        reseal: (row) => {
          const slot = { table, column, rowId: row.id };
          return vault.encrypt(vault.decrypt(row.value, slot), slot);
        },
      }),
      start,
      left: notCurrent(table, column),
      onBatch: (count) => options.onBatch?.(name, count),
      maxIdlePasses,
    });
  }

  let remaining = move.remaining + (await wrappedElsewhere());
  for (const { table, column } of RING_COLUMNS) remaining += await notCurrent(table, column)();
  return {
    moved: move.movedTotal,
    rewrapped,
    reencrypted,
    remaining,
  };
}
