/**
 * Every start path (server, tests, `npm run migrate`) calls this: connect to the configured Postgres or start the
 * embedded one, apply pending migrations, and verify the result against the schema.
 */
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { applyMigrations } from './migrations/apply-migrations.ts';
import { verifySchema } from './migrations/verify-schema.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

export interface PreparedDatabase {
  connectionString: string;
  maxPoolSize: number | undefined;
  embedded: boolean;
  appliedMigrations: string[];
  /** Stops the embedded database; a no-op for an external one. */
  stop(): Promise<void>;
}

export async function prepareDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
}): Promise<PreparedDatabase> {
  const embedded = options.databaseUrl === undefined ? await startEmbeddedPostgres(options.dataDir) : undefined;
  const connectionString = embedded?.connectionString ?? (options.databaseUrl as string);
  try {
    const appliedMigrations = await applyMigrations(connectionString, MIGRATIONS_DIR);
    await verifySchema(connectionString, SCHEMA_PATH);
    return {
      connectionString,
      maxPoolSize: embedded?.maxPoolSize,
      embedded: embedded !== undefined,
      appliedMigrations,
      stop: async () => embedded?.stop(),
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
