/**
 * One refresh per grant across instances: two Keyfob processes on one Postgres and one Redis, the sandbox in
 * strict reuse mode (a reused refresh token revokes the grant), 200 concurrent requests for one vehicle whose
 * access token has expired.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseKeyRing } from '../../src/config/key-ring-format.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT } from '../helpers/connected.ts';
import { EXTERNAL_CLIENT_ID, externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { spawnKeyfob } from '../helpers/keyfob-process.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const STORM = 200;

async function cluster(t: TestContext, instances = 2, reuseGraceSeconds = 0) {
  const database = await createTestDatabase(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'keyfob-cluster-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  const {
    sandbox,
    env: providerEnv,
    clientSecret,
  } = await externalSandbox(t, publicUrl, {
    refreshReuseGraceSeconds: reuseGraceSeconds,
  });
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: database.databaseUrl,
    REDIS_URL: process.env.REDIS_URL,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEYS: keys,
    UPSTREAM_TIMEOUT_MS: '10000',
    ...providerEnv,
  };
  const processes = [];
  for (const port of ports) processes.push(await spawnKeyfob(t, port, env));
  const db = new pg.Client({ connectionString: database.databaseUrl });
  // The test database is dropped WITH (FORCE) at the end, which may cut this connection first.
  db.on('error', () => undefined);
  await db.connect();
  t.after(() => db.end().catch(() => undefined));
  const redis = new Redis(process.env.REDIS_URL ?? '');
  t.after(() => redis.quit());
  // Connect Alex's cars through the first instance; the other browsers share its session cookie (Redis).
  const first = new Browser(processes[0]?.url ?? '');
  await first.connect({ account: ALEX_ACCOUNT });
  const session = await first.request('GET', '/auth/session');
  const tesla = session.json.vehicles.find((vehicle: { make: string }) => vehicle.make === 'TESLA').id as string;
  const browsers = processes.map((instance) => {
    const browser = new Browser(instance.url);
    for (const [name, value] of first.cookies) browser.cookies.set(name, value);
    return browser;
  });
  const vault = createTokenVault(parseKeyRing(keys).entries);
  return {
    sandbox,
    clientSecret,
    processes,
    browsers,
    tesla,
    /** A direct database edit, announced on the invalidation channel as Keyfob's own writes are. */
    expireAccessToken: async () => {
      const { rows } = await db.query(`UPDATE grants SET access_expires_at = now() - interval '1 second' RETURNING id`);
      for (const row of rows) await redis.publish('keyfob:invalidate', JSON.stringify({ kind: 'grant', id: row.id }));
    },
    /** The stored refresh token, decrypted, and the grant's status. */
    stored: async () => {
      const { rows } = await db.query('SELECT id, refresh_token_enc, status, version FROM grants');
      const row = rows[0];
      return {
        status: row.status as string,
        version: row.version as number,
        refreshToken: row.refresh_token_enc
          ? vault.decrypt(row.refresh_token_enc, { table: 'grants', column: 'refresh_token_enc', rowId: row.id })
          : null,
      };
    },
    refreshCalls: () => sandbox.state.calls.get('token.refresh_token'),
    storm: async () => {
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: STORM }, (_, i) =>
          (browsers[i % browsers.length] as Browser).request('GET', `/api/vehicles/${tesla}/odometer`),
        ),
      );
      return { statuses: answers.map((answer) => answer.status), answers, ms: performance.now() - started };
    },
  };
}

/** True when the stored refresh token is the newest: strict mode would revoke the grant for an older one. */
async function storedIsNewest(sandboxUrl: string, clientSecret: string, refreshToken: string | null) {
  if (!refreshToken) return false;
  const response = await fetch(`${sandboxUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${EXTERNAL_CLIENT_ID}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return response.status === 200;
}

const needsServers = (t: TestContext) => {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return false;
  t.skip('needs DATABASE_URL and REDIS_URL: several instances share one Postgres and one Redis');
  return true;
};

test('200 concurrent requests over two instances: one refresh, all answered, the newest pair stored', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t);
  await c.expireAccessToken();
  const before = await c.stored();
  const storm = await c.storm();
  assert.deepEqual(
    [...new Set(storm.statuses)],
    [200],
    JSON.stringify(storm.answers.find((a) => a.status !== 200)?.json),
  );
  assert.equal(c.refreshCalls(), 1);
  const after = await c.stored();
  assert.equal(after.status, 'active');
  assert.equal(after.version, before.version + 1);
  assert.notEqual(after.refreshToken, before.refreshToken);
  assert.ok(
    await storedIsNewest(c.sandbox.url, c.clientSecret, after.refreshToken),
    'the stored refresh token is the newest',
  );
  t.diagnostic(`refresh storm: ${STORM} requests over 2 instances in ${Math.round(storm.ms)} ms`);
});

test('a token endpoint slower than any lock default (3 s) still gives one refresh and no failure', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t);
  await c.expireAccessToken();
  c.sandbox.state.faults.add('token', { kind: 'slow', delayMs: 3000 }, 1);
  const storm = await c.storm();
  assert.deepEqual([...new Set(storm.statuses)], [200]);
  assert.equal(c.refreshCalls(), 1);
  assert.ok(storm.ms >= 3000);
  assert.ok(await storedIsNewest(c.sandbox.url, c.clientSecret, (await c.stored()).refreshToken));
});

test('a token endpoint failing with 5xx: clear 502s, tokens intact, then recovery', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t);
  await c.expireAccessToken();
  const before = await c.stored();
  c.sandbox.state.faults.add('token', { kind: 'error', status: 503 }, 10);
  const storm = await c.storm();
  assert.ok(
    storm.statuses.every((status) => status === 502),
    [...new Set(storm.statuses)].join(),
  );
  assert.ok(storm.answers.every((answer) => answer.json.error === 'upstream_unavailable'));
  const attempts = c.sandbox.state.calls.get('faulted.token');
  assert.ok(attempts >= 1 && attempts <= 4, `a storm against a failing provider is a few attempts, not ${attempts}`);
  assert.deepEqual(await c.stored(), before, 'the stored pair is untouched');
  c.sandbox.state.faults.clear();
  await sleep(2100); // the failure cool-down
  const recovered = await c.storm();
  assert.deepEqual([...new Set(recovered.statuses)], [200]);
  assert.equal(c.refreshCalls(), 1);
});

for (const mode of ['strict', 'grace'] as const) {
  test(`an instance killed between the provider's answer and the store (${mode} reuse): a clear state, no loop`, async (t) => {
    if (needsServers(t)) return;
    const c = await cluster(t, 2, mode === 'strict' ? 0 : 60);
    await c.expireAccessToken();
    // The provider rotates the pair at once but holds its answer back; the instance dies before hearing it.
    c.sandbox.state.faults.add('token', { kind: 'slow_answer', delayMs: 3000 }, 1);
    const [victim, survivor] = c.processes;
    const doomed = (c.browsers[0] as Browser)
      .request('GET', `/api/vehicles/${c.tesla}/odometer`)
      .catch(() => undefined);
    while (c.refreshCalls() === 0) await sleep(20);
    victim?.child.kill('SIGKILL');
    await victim?.exited;
    await doomed;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => (c.browsers[1] as Browser).request('GET', `/api/vehicles/${c.tesla}/odometer`)),
    );
    const state = await c.stored();
    if (mode === 'strict') {
      // The survivor presents the refresh token the dead instance used: reuse, the provider revokes the grant.
      assert.equal(state.status, 'reauth_required');
      assert.ok(answers.every((a) => a.status === 401 && a.json.error === 'reauth_required'));
    } else {
      // Within the grace period the old refresh token works once more: the survivor stores a fresh pair.
      assert.equal(state.status, 'active');
      assert.ok(answers.every((a) => a.status === 200));
    }
    assert.equal(c.refreshCalls(), 2, 'the dead instance and one retry by the survivor');
    await Promise.all(
      Array.from({ length: 20 }, () => (c.browsers[1] as Browser).request('GET', `/api/vehicles/${c.tesla}/odometer`)),
    );
    assert.equal(c.refreshCalls(), 2, 'no silent loop of refreshes');
    assert.equal(survivor?.child.exitCode, null, 'the survivor keeps serving');
  });
}
