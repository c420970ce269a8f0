/**
 * Key rotation: re-encrypts every stored secret (grant tokens, VINs) under the first key of the ring, in small
 * batches, while Keyfob keeps serving. Each batch locks its rows (`FOR UPDATE SKIP LOCKED`), so it never waits on
 * nor overwrites a refresh in progress: a row being refreshed is skipped and picked up by a later pass (the
 * refresh itself writes under the first key). The plaintext does not change, so the grant's version does not
 * either. Resumable: it selects whatever is not yet under the first key, so a run that stops is simply run again.
 *
 * Order of operations: deploy the new ring (new key first, old key kept) to every instance, run this, then
 * remove the old key.
 */
import type { Database } from '../db/prisma-client.ts';
import type { TokenVault } from '../vault/token-vault.ts';

interface SecretColumn {
  table: 'grants' | 'vehicles';
  column: 'access_token_enc' | 'refresh_token_enc' | 'vin_enc';
}

const COLUMNS: SecretColumn[] = [
  { table: 'grants', column: 'access_token_enc' },
  { table: 'grants', column: 'refresh_token_enc' },
  { table: 'vehicles', column: 'vin_enc' },
];

export interface RotationReport {
  reencrypted: Record<string, number>;
  /** Values still under another key (rows locked on every pass); 0 means the old keys can be removed. */
  remaining: number;
}

export async function rotateKeys(options: {
  db: Database;
  vault: TokenVault;
  batchSize?: number;
  maxIdlePasses?: number;
  onBatch?: (column: string, count: number) => void;
}): Promise<RotationReport> {
  const { db, vault } = options;
  const batchSize = options.batchSize ?? 500;
  const current = `kv1.${vault.currentKeyId}.%`;
  const reencrypted: Record<string, number> = {};
  for (const { table, column } of COLUMNS) {
    const name = `${table}.${column}`;
    reencrypted[name] = 0;
    let idlePasses = 0;
    for (;;) {
      const done = await db.$transaction(async (tx) => {
        const rows = await tx.$queryRawUnsafe<Array<{ id: string; value: string }>>(
          `SELECT id::text AS id, ${column} AS value FROM ${table}
           WHERE ${column} IS NOT NULL AND ${column} NOT LIKE $1
           ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          current,
          batchSize,
        );
        for (const row of rows) {
          const slot = { table, column, rowId: row.id };
          const sealed = vault.encrypt(vault.decrypt(row.value, slot), slot);
          await tx.$executeRawUnsafe(`UPDATE ${table} SET ${column} = $1 WHERE id = $2::uuid`, sealed, row.id);
        }
        return rows.length;
      });
      reencrypted[name] += done;
      options.onBatch?.(name, done);
      if (done > 0) {
        idlePasses = 0;
        continue;
      }
      const left = await countNotCurrent(db, table, column, current);
      if (left === 0 || ++idlePasses > (options.maxIdlePasses ?? 50)) break;
      // Everything left is locked by a refresh in progress: give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  let remaining = 0;
  for (const { table, column } of COLUMNS) remaining += await countNotCurrent(db, table, column, current);
  return { reencrypted, remaining };
}

async function countNotCurrent(db: Database, table: string, column: string, current: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ count: bigint }>>(
    `SELECT count(*) AS count FROM ${table} WHERE ${column} IS NOT NULL AND ${column} NOT LIKE $1`,
    current,
  );
  return Number(row?.count ?? 0);
}
