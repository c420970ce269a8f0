import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { applyMigrations, MigrationError } from '../../src/db/migrations/apply-migrations.ts';
import { SchemaDriftError, verifySchema } from '../../src/db/migrations/verify-schema.ts';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../../src/db/prepare-database.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

/** A connection string for this test: a fresh Postgres database, or a fresh embedded PGlite. */
async function freshDatabase(t: Parameters<typeof createTestDatabase>[0]) {
  const database = await createTestDatabase(t);
  // Migrations go straight to Postgres when the suite runs through PgBouncer, as DATABASE_DIRECT_URL makes them.
  if (database.databaseUrl) return database.directUrl ?? database.databaseUrl;
  const embedded = await startEmbeddedPostgres(database.dataDir);
  t.after(() => embedded.stop());
  return embedded.connectionString;
}

async function sql(connectionString: string, text: string) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

test('migrations apply once, are recorded like Prisma records them, and the result matches the schema', async (t) => {
  const url = await freshDatabase(t);
  assert.deepEqual(await applyMigrations(url, MIGRATIONS_DIR), ALL_MIGRATIONS);
  assert.ok(ALL_MIGRATIONS.length >= 3);
  assert.deepEqual(await applyMigrations(url, MIGRATIONS_DIR), [], 'a second run applies nothing');
  await verifySchema(url, SCHEMA_PATH);
  const rows = await sql(
    url,
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations"',
  );
  assert.equal(rows.length, ALL_MIGRATIONS.length);
  for (const row of rows) {
    assert.match(row.checksum, /^[0-9a-f]{64}$/);
    assert.ok(row.finished_at);
  }
});

test('instances starting together apply each migration exactly once', async (t) => {
  const url = process.env.DATABASE_URL ? await freshDatabase(t) : undefined;
  if (!url) {
    t.skip('needs DATABASE_URL: embedded PGlite is one process, so concurrent start-up cannot happen there');
    return;
  }
  const results = await Promise.all([1, 2, 3].map(() => applyMigrations(url, MIGRATIONS_DIR)));
  assert.deepEqual(results.flat().sort(), ALL_MIGRATIONS);
});

test('a migration edited after it was applied stops start-up', async (t) => {
  const url = await freshDatabase(t);
  await applyMigrations(url, MIGRATIONS_DIR);
  const copy = await mkdtemp(join(tmpdir(), 'keyfob-migrations-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, copy, { recursive: true });
  await writeFile(join(copy, '20261122000000_init', 'migration.sql'), '-- edited\nSELECT 1;');
  await assert.rejects(applyMigrations(url, copy), (error: unknown) => {
    return error instanceof MigrationError && /edited after it was applied/.test(error.message);
  });
});

test('a failing migration leaves nothing half-applied', async (t) => {
  const url = await freshDatabase(t);
  const copy = await mkdtemp(join(tmpdir(), 'keyfob-migrations-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, copy, { recursive: true });
  await cp(join(copy, '20261122000000_init'), join(copy, '29991231000000_broken'), { recursive: true });
  await writeFile(
    join(copy, '29991231000000_broken', 'migration.sql'),
    'CREATE TABLE "half" (id int);\nSELECT no_such_function();',
  );
  await assert.rejects(applyMigrations(url, copy), /29991231000000_broken failed/);
  const tables = await sql(url, "SELECT table_name FROM information_schema.tables WHERE table_name = 'half'");
  assert.equal(tables.length, 0);
  const recorded = await sql(url, 'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name');
  assert.deepEqual(
    recorded.map((row) => row.migration_name),
    ALL_MIGRATIONS,
  );
});

test('the schema check finds every kind of drift', async (t) => {
  const url = await freshDatabase(t);
  await applyMigrations(url, MIGRATIONS_DIR);
  await sql(
    url,
    `ALTER TABLE grants DROP COLUMN last_refreshed_at;
     ALTER TABLE grants ADD COLUMN plaintext_token TEXT;
     ALTER TABLE vehicles ALTER COLUMN make SET NOT NULL;
     ALTER TABLE vehicles ALTER COLUMN year TYPE BIGINT;
     DROP INDEX "vehicles_user_id_provider_provider_vehicle_id_key";
     ALTER TYPE grant_status ADD VALUE 'paused';`,
  );
  await assert.rejects(verifySchema(url, SCHEMA_PATH), (error: unknown) => {
    assert.ok(error instanceof SchemaDriftError);
    const all = error.differences.join('\n');
    assert.match(all, /"grants"."last_refreshed_at" is missing/);
    assert.match(all, /"grants"."plaintext_token" is not in the schema/);
    assert.match(all, /"vehicles"."make" is NOT NULL, the schema says nullable/);
    assert.match(all, /"vehicles"."year" is int8, the schema says int4/);
    assert.match(all, /unique index on "vehicles" \(user_id, provider, provider_vehicle_id\) is missing/);
    assert.match(all, /enum "grant_status" has \(active, reauth_required, revoked, paused\)/);
    return true;
  });
});
