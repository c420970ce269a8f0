/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and verifies the
 * result against prisma/schema.prisma. The server does the same at every start; production runs this first in a
 * release step so a failing migration stops the deploy, not the serving instances.
 */
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';

try {
  const { config } = await loadConfig(process.env);
  const database = await prepareDatabase({
    databaseUrl: config.databaseUrl,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
  });
  const applied = database.appliedMigrations;
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  console.log('the database matches prisma/schema.prisma');
  await database.stop();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`);
  process.exit(1);
}
