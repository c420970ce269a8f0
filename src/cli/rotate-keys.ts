/**
 * `npm run rotate-keys`: re-wraps every user's data key under the first key of TOKEN_ENCRYPTION_KEYS and
 * re-encrypts the secrets of no user (see src/jobs/rotate-keys.ts). Safe to run while Keyfob serves, and to run
 * again after an interruption.
 */
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { createPrismaClient } from '../db/prisma-client.ts';
import { rotateKeys } from '../jobs/rotate-keys.ts';
import { createDataKeys } from '../vault/data-keys.ts';
import { createTokenVault } from '../vault/token-vault.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

try {
  const { config } = await loadConfig(process.env);
  refuseEmbeddedWhileServing(config.databaseUrl, 'rotate-keys');
  const database = await prepareDatabase({
    databaseUrl: config.databaseUrl,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
  });
  const db = createPrismaClient(database);
  const vault = createTokenVault(config.keyRing);
  console.log(`re-wrapping data keys under key "${vault.currentKeyId}"`);
  const started = performance.now();
  const report = await rotateKeys({ db, vault, dataKeys: createDataKeys(vault) });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (report.moved > 0) console.log(`user secrets moved from the key ring to their data keys: ${report.moved}`);
  console.log(`data keys re-wrapped: ${report.rewrapped}`);
  for (const [column, count] of Object.entries(report.reencrypted)) console.log(`${column}: ${count} re-encrypted`);
  console.log(
    report.remaining === 0
      ? `done in ${seconds} s: everything is under "${vault.currentKeyId}"; older keys can be removed from TOKEN_ENCRYPTION_KEYS`
      : `${report.remaining} value(s) are still under older keys (locked on every pass): run again`,
  );
  await db.$disconnect();
  await database.stop();
  process.exit(report.remaining === 0 ? 0 : 2);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `key rotation failed: ${(error as Error).message}`);
  process.exit(1);
}
