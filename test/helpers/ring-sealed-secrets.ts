/**
 * Puts a user's secrets back as Keyfob stored them before per-user data keys: every grant token and VIN re-sealed
 * under the key ring (`kv1`), and the data keys deleted. What an upgraded installation starts from.
 */
import type { Database } from '../../src/db/prisma-client.ts';
import { createDataKeys } from '../../src/vault/data-keys.ts';
import type { TokenVault } from '../../src/vault/token-vault.ts';

const COLUMNS = [
  ['grants', 'access_token_enc'],
  ['grants', 'refresh_token_enc'],
  ['vehicles', 'vin_enc'],
] as const;

export async function sealUnderRing(db: Database, vault: TokenVault): Promise<number> {
  const dataKeys = createDataKeys(vault);
  let sealed = 0;
  await db.$transaction(async (tx) => {
    for (const [table, column] of COLUMNS) {
      const rows = await tx.$queryRawUnsafe<Array<{ id: string; user_id: string; value: string; wrapped_key: string }>>(
        `SELECT t.id::text AS id, t.user_id::text AS user_id, t.${column} AS value, k.wrapped_key
         FROM ${table} t JOIN user_data_keys k ON k.user_id = t.user_id WHERE t.${column} LIKE 'ku1.%'`,
      );
      for (const row of rows) {
        const slot = { table, column, rowId: row.id };
        const plaintext = dataKeys.secretsOf(row.user_id, row.wrapped_key).decrypt(row.value, slot);
        await tx.$executeRawUnsafe(
          `UPDATE ${table} SET ${column} = $1 WHERE id = $2::uuid`,
          vault.encrypt(plaintext, slot),
          row.id,
        );
        sealed++;
      }
    }
    await tx.$executeRawUnsafe('DELETE FROM user_data_keys');
  });
  return sealed;
}
