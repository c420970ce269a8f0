/**
 * `npm run rotate-keys`: re-encrypts every stored secret under the first key of TOKEN_ENCRYPTION_KEYS (see
 * src/jobs/rotate-keys.ts). Safe to run while Keyfob serves, and to run again after an interruption.
 */
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { createPrismaClient } from '../db/prisma-client.ts';
import { rotateKeys } from '../jobs/rotate-keys.ts';
import { createTokenVault } from '../vault/token-vault.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

try {
  const { config } = await loadConfig(process.env);
  refuseEmbeddedWhileServing(config.databaseUrl, 'rotate-keys');
  const database = await prepareDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const db = createPrismaClient(database);
  const vault = createTokenVault(config.keyRing);
  console.log(`re-encrypting under key "${vault.currentKeyId}"`);
  const report = await rotateKeys({
    db,
    vault,
    onBatch: (column, count) => count && console.log(`  ${column}: ${count}`),
  });
  for (const [column, count] of Object.entries(report.reencrypted)) console.log(`${column}: ${count} re-encrypted`);
  console.log(
    report.remaining === 0
      ? `done: every secret is under "${vault.currentKeyId}"; older keys can be removed from TOKEN_ENCRYPTION_KEYS`
      : `${report.remaining} value(s) are still under older keys (locked on every pass): run again`,
  );
  await db.$disconnect();
  await database.stop();
  process.exit(report.remaining === 0 ? 0 : 2);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `key rotation failed: ${(error as Error).message}`);
  process.exit(1);
}
