/**
 * Key rotation on 100,000 users with two connections each (BENCH_ROTATION_USERS to change it): a database seeded as
 * Keyfob stored secrets before per-user data keys (every token and VIN under the ring, `kv1`), then
 * - the move to data keys (jobs/move-to-data-keys.ts): every secret decrypted and re-encrypted once, the work a
 *   rotation cost when all secrets sat under the ring: the baseline of this run;
 * - `rotate-keys` after the move (jobs/rotate-keys.ts): one data key re-wrapped per user, no secret touched.
 * Both in Keyfob's batches, on the Postgres of DATABASE_URL, in a database of its own (dropped at the end).
 * Run alone with `node --import tsx bench/key-rotation.ts`; `npm run bench` runs it last.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { prepareDatabase } from '../src/db/prepare-database.ts';
import { createPrismaClient } from '../src/db/prisma-client.ts';
import { moveToDataKeys } from '../src/jobs/move-to-data-keys.ts';
import { rotateKeys } from '../src/jobs/rotate-keys.ts';
import { createDataKeys } from '../src/vault/data-keys.ts';
import { createTokenVault } from '../src/vault/token-vault.ts';

const USERS = Number(process.env.BENCH_ROTATION_USERS ?? 100_000);
const CONNECTIONS_PER_USER = 2;
const SEED_BATCH = 5_000;

export interface RotationBenchmark {
  users: number;
  connectionsPerUser: number;
  /** Secrets under the ring before: two tokens and one VIN per connection. */
  secrets: number;
  reencryptAllSeconds: number;
  rewrapSeconds: number;
  rewrapped: number;
  ratio: number;
}

/** Users with their connections as Keyfob stored them before data keys (every secret under the ring). */
export async function seed(client: pg.Client, vault: ReturnType<typeof createTokenVault>) {
  for (let done = 0; done < USERS; done += SEED_BATCH) {
    const users = Array.from({ length: Math.min(SEED_BATCH, USERS - done) }, () => randomUUID());
    const grants = users.flatMap((userId) =>
      Array.from({ length: CONNECTIONS_PER_USER }, () => [randomUUID(), userId]),
    );
    const seal = (table: string, column: string, rowId: string, value: string) =>
      vault.encrypt(value, { table, column, rowId });
    await client.query('INSERT INTO users (id, updated_at) SELECT unnest($1::uuid[]), now()', [users]);
    await client.query(
      `INSERT INTO grants (id, user_id, provider, scopes, access_token_enc, refresh_token_enc, updated_at)
       SELECT g.id, g.user_id, 'smartcar', '{}', g.access, g.refresh, now()
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS g(id, user_id, access, refresh)`,
      [
        grants.map(([id]) => id),
        grants.map(([, userId]) => userId),
        grants.map(([id]) => seal('grants', 'access_token_enc', id as string, randomBytes(48).toString('base64url'))),
        grants.map(([id]) => seal('grants', 'refresh_token_enc', id as string, randomUUID())),
      ],
    );
    const vehicles = grants.map(([grantId, userId]) => [randomUUID(), userId, grantId]);
    await client.query(
      `INSERT INTO vehicles (id, user_id, grant_id, provider, provider_vehicle_id, vin_enc, vin_last4, updated_at)
       SELECT v.id, v.user_id, v.grant_id, 'smartcar', v.id::text, v.vin, '1234', now()
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS v(id, user_id, grant_id, vin)`,
      [
        vehicles.map(([id]) => id),
        vehicles.map(([, userId]) => userId),
        vehicles.map(([, , grantId]) => grantId),
        vehicles.map(([id]) => seal('vehicles', 'vin_enc', id as string, '5YJ3E1EA7KF31234')),
      ],
    );
  }
}

export async function benchmarkKeyRotation(serverUrl: string): Promise<RotationBenchmark> {
  const name = `keyfob_bench_rotation_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'keyfob-bench-rotation-'));
  const database = await prepareDatabase({ databaseUrl: url.toString(), dataDir });
  const db = createPrismaClient(database);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const oldKey = { id: 'old', key: randomBytes(32) };
    const newKey = { id: 'new', key: randomBytes(32) };
    await seed(client, createTokenVault([oldKey]));
    await client.query('VACUUM ANALYZE');
    const secrets = USERS * CONNECTIONS_PER_USER * 3;

    // Every secret re-encrypted once (here into the users' data keys, under the old key still).
    const before = createTokenVault([oldKey]);
    let started = performance.now();
    const move = await moveToDataKeys({ db, dataKeys: createDataKeys(before), kekId: before.currentKeyId });
    const reencryptAllSeconds = (performance.now() - started) / 1000;
    if (move.remaining !== 0) throw new Error(`${move.remaining} secrets were not moved`);

    await client.query('VACUUM ANALYZE');
    const after = createTokenVault([newKey, oldKey]);
    started = performance.now();
    const rotation = await rotateKeys({ db, vault: after, dataKeys: createDataKeys(after) });
    const rewrapSeconds = (performance.now() - started) / 1000;
    if (rotation.remaining !== 0 || rotation.moved !== 0) throw new Error('the rotation left work undone');
    return {
      users: USERS,
      connectionsPerUser: CONNECTIONS_PER_USER,
      secrets,
      reencryptAllSeconds: Math.round(reencryptAllSeconds * 10) / 10,
      rewrapSeconds: Math.round(rewrapSeconds * 10) / 10,
      rewrapped: rotation.rewrapped,
      ratio: Math.round((rewrapSeconds / reencryptAllSeconds) * 100) / 100,
    };
  } finally {
    await client.end();
    await db.$disconnect();
    await database.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.env.DATABASE_URL) {
    console.error('the key rotation benchmark needs DATABASE_URL (a Postgres server)');
    process.exit(1);
  }
  const result = await benchmarkKeyRotation(process.env.DATABASE_URL);
  console.log(JSON.stringify(result, null, 2));
}
