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
  /**
   * Where migrations go when `databaseUrl` is a pooler in transaction mode (PgBouncer): they hold a session-level
   * advisory lock for their whole run, which such a pooler cannot keep on one server connection.
   */
  directUrl?: string | undefined;
  dataDir: string;
}): Promise<PreparedDatabase> {
  const embedded = options.databaseUrl === undefined ? await startEmbeddedPostgres(options.dataDir) : undefined;
  const connectionString = embedded?.connectionString ?? (options.databaseUrl as string);
  const direct = embedded ? connectionString : (options.directUrl ?? connectionString);
  try {
    const appliedMigrations = await applyMigrations(direct, MIGRATIONS_DIR);
    await verifySchema(direct, SCHEMA_PATH);
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
