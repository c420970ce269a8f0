/**
 * Applies pending Prisma migrations without Prisma's schema engine (which must be downloaded and is not
 * available on every network). Rules, matching `prisma migrate deploy`:
 * - migrations run in folder-name order, each recorded in `_prisma_migrations` with its sha256 checksum;
 * - a migration edited after it was applied, or one that failed earlier, stops start-up;
 * - several instances starting at once serialise on Prisma's own advisory lock key.
 * Stricter than Prisma: each migration runs in one transaction, so a failure leaves nothing half-applied.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { readMigrationFiles } from './migration-files.ts';

/** The advisory lock key `prisma migrate` uses, so our runner and Prisma's never overlap. */
const PRISMA_MIGRATE_LOCK = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies what is pending; returns the names it applied. */
export async function applyMigrations(connectionString: string, migrationsDir: string): Promise<string[]> {
  const files = await readMigrationFiles(migrationsDir);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const applied = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
    const known = new Set(files.map((file) => file.name));
    const unknown = [...applied.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new MigrationError(
        `the database has migrations this build does not know (${unknown.join(', ')}): is this an older Keyfob?`,
      );
    }
    const done: string[] = [];
    for (const file of files) {
      const row = applied.get(file.name);
      if (row && row.finished_at === null) {
        throw new MigrationError(`migration ${file.name} failed earlier; resolve it before starting again`);
      }
      if (row) {
        if (row.checksum !== file.checksum) {
          throw new MigrationError(`migration ${file.name} was edited after it was applied (checksum differs)`);
        }
        continue;
      }
      const id = randomUUID();
      await client.query('BEGIN');
      try {
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
          [id, file.checksum, file.name],
        );
        await client.query(file.sql);
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(file.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => undefined);
    await client.end();
  }
}
