/**
 * The move to one user with many connections loses nothing: a database at the schema before it (users keyed by
 * provider account, provider `sandbox`), holding two people's connected cars with real sandbox tokens, is migrated
 * by Keyfob's own start, and then every car answers a proxied call with the tokens it had.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { parseKeyRing } from '../../src/config/key-ring-format.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { applyMigrations } from '../../src/db/migrations/apply-migrations.ts';
import { MIGRATIONS_DIR } from '../../src/db/prepare-database.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, SAM_ACCOUNT } from '../helpers/connected.ts';
import { EXTERNAL_CLIENT_ID, externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { consent, pkcePair } from '../helpers/sandbox-flow.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const LAST_BEFORE = '20261202000000_refresh_leases';
const CARS = {
  alexTesla: { account: ALEX_ACCOUNT, id: '3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11', vin: '5YJ3E1EA7NF123456' },
  samFord: { account: SAM_ACCOUNT, id: 'c4e6a8b0-2d4f-4a6c-9e0b-1d3f5a7c9e31', vin: '1FTVW1EL3PWG76543' },
};

test('the old single-provider rows become users, identities and connections, and every car still answers', async (t) => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const { sandbox, env, clientSecret } = await externalSandbox(t, publicUrl);
  const database = await createTestDatabase(t);
  const embedded = database.databaseUrl ? undefined : await startEmbeddedPostgres(database.dataDir);
  const url = database.databaseUrl ?? (embedded?.connectionString as string);

  // The schema as it was: every migration up to the one before the move.
  const oldDir = await mkdtemp(join(tmpdir(), 'keyfob-old-migrations-'));
  t.after(() => rm(oldDir, { recursive: true, force: true }));
  for (const name of (await readdir(MIGRATIONS_DIR)).filter((name) => name <= LAST_BEFORE || name.endsWith('.toml'))) {
    await cp(join(MIGRATIONS_DIR, name), join(oldDir, name), { recursive: true });
  }
  assert.equal((await applyMigrations(url, oldDir)).at(-1), LAST_BEFORE);

  // Real tokens from the sandbox for each car, as the old Keyfob obtained them.
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const vault = createTokenVault(parseKeyRing(keys).entries);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const seeded: Record<string, string> = {};
  for (const [name, car] of Object.entries(CARS)) {
    const { verifier, challenge } = pkcePair();
    const authorize = new URL(`${sandbox.url}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: EXTERNAL_CLIENT_ID,
      redirect_uri: `${publicUrl}/auth/callback`,
      state: 'old',
      scope: 'read_vehicle_info read_odometer',
      mode: 'simulated',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const redirect = await consent(authorize.href, { account: car.account, vehicles: [car.id] });
    const answer = await fetch(`${sandbox.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${EXTERNAL_CLIENT_ID}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: redirect.searchParams.get('code') ?? '',
        redirect_uri: `${publicUrl}/auth/callback`,
        code_verifier: verifier,
      }),
    });
    const tokens = (await answer.json()) as { access_token: string; refresh_token: string };
    const [userId, grantId, vehicleId] = [randomUUID(), randomUUID(), randomUUID()];
    const seal = (value: string, table: string, column: string, rowId: string) =>
      vault.encrypt(value, { table, column, rowId });
    await client.query(
      `INSERT INTO users (id, provider, provider_user_id, updated_at) VALUES ($1, 'sandbox', $2, now())`,
      [userId, car.account],
    );
    await client.query(
      `INSERT INTO grants (id, user_id, provider, access_token_enc, refresh_token_enc, access_expires_at,
         refresh_expires_at, scopes, updated_at)
       VALUES ($1, $2, 'sandbox', $3, $4, now() + interval '1 hour', now() + interval '50 days',
         ARRAY['read_vehicle_info','read_odometer'], now())`,
      [
        grantId,
        userId,
        seal(tokens.access_token, 'grants', 'access_token_enc', grantId),
        seal(tokens.refresh_token, 'grants', 'refresh_token_enc', grantId),
      ],
    );
    await client.query(
      `INSERT INTO vehicles (id, user_id, grant_id, provider, provider_vehicle_id, make, vin_enc, vin_last4, updated_at)
       VALUES ($1, $2, $3, 'sandbox', $4, 'OLD', $5, $6, now())`,
      [vehicleId, userId, grantId, car.id, seal(car.vin, 'vehicles', 'vin_enc', vehicleId), car.vin.slice(-4)],
    );
    seeded[name] = vehicleId;
  }
  await client.end();
  await embedded?.stop();

  // Keyfob's own start migrates; each person signs in again with another car and finds the old one served.
  const keyfob = await startKeyfobUnderTest(
    t,
    { ...env, PORT: String(port), PUBLIC_URL: publicUrl, TOKEN_ENCRYPTION_KEYS: keys },
    database,
  );
  assert.ok(keyfob.config && (await keyfob.app.db.identity.count()) === 2, 'one identity per old user');
  const identities = await keyfob.app.db.identity.findMany({ orderBy: { subject: 'asc' } });
  assert.deepEqual(
    identities.map((identity) => [identity.kind, identity.issuer, identity.subject]),
    [
      ['provider', 'smartcar', ALEX_ACCOUNT],
      ['provider', 'smartcar', SAM_ACCOUNT],
    ],
  );
  const tokenCallsBefore = sandbox.state.calls.get('token.authorization_code');
  const others: Array<[string, { account: string; vehicles: string[] }]> = [
    ['alexTesla', { account: ALEX_ACCOUNT, vehicles: ['8a2f4c6e-1d3b-4e5f-8a7b-9c0d1e2f3a21'] }],
    ['samFord', { account: SAM_ACCOUNT, vehicles: ['d5f7b9c1-3e5a-4b7d-8f1c-2e4a6b8d0f41'] }],
  ];
  for (const [name, other] of others) {
    const browser = new Browser(keyfob.url);
    await browser.connect(other);
    const session = (await browser.request('GET', '/auth/session')).json;
    const old = session.vehicles.find((vehicle: { id: string }) => vehicle.id === seeded[name]);
    assert.ok(old, `${name} is still the same user's`);
    assert.equal(old.provider, 'smartcar');
    assert.equal(old.status, 'active');
    const before = sandbox.state.calls.get('token.refresh_token');
    const odometer = await browser.request('GET', `/api/vehicles/${old.id}/odometer`);
    assert.equal(odometer.status, 200, `${name}: ${odometer.text}`);
    assert.equal(sandbox.state.calls.get('token.refresh_token'), before, 'served with the migrated access token');
  }
  assert.equal(sandbox.state.calls.get('token.authorization_code'), tokenCallsBefore + 2);
  const migrated = await keyfob.app.db.grant.findMany({
    where: { vehicles: { some: { id: { in: Object.values(seeded) } } } },
  });
  assert.deepEqual(migrated.map((grant) => grant.providerAccountId).sort(), [ALEX_ACCOUNT, SAM_ACCOUNT].sort());
});
