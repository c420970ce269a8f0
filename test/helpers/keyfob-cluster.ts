/**
 * Keyfob instances as separate processes on one Postgres and one Redis, against an external sandbox (strict reuse
 * by default: a reused refresh token revokes the grant), with Alex's cars connected through the first instance and
 * a browser per instance sharing that session. Used by the multi-instance and shutdown tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { parseKeyRing } from '../../src/config/key-ring-format.ts';
import { createDataKeys } from '../../src/vault/data-keys.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { Browser } from './browser.ts';
import { ALEX_ACCOUNT } from './connected.ts';
import { EXTERNAL_CLIENT_ID, EXTERNAL_HM_CLIENT_ID, externalSandbox } from './external-sandbox.ts';
import { freePort } from './free-port.ts';
import { type KeyfobProcess, spawnKeyfob } from './keyfob-process.ts';
import { createTestDatabase } from './test-database.ts';

export const STORM = 200;

const nodesOf = (list: string) =>
  list.split(',').map((entry) => ({ host: entry.split(':')[0] as string, port: Number(entry.split(':')[1]) }));

/** A client of the Redis the instances use (one server, Sentinel or Cluster), for the test's own announcements. */
function publisherFor(env: NodeJS.ProcessEnv): Redis | Cluster {
  if (env.REDIS_SENTINELS) return new Redis({ sentinels: nodesOf(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME });
  if (env.REDIS_CLUSTER_NODES) return new Cluster(nodesOf(env.REDIS_CLUSTER_NODES));
  return new Redis(env.REDIS_URL ?? '');
}

/** Alex's Tesla, as the High Mobility consent page names it. */
const ALEX_TESLA_AT_HIGHMOBILITY = `${ALEX_ACCOUNT}:3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11`;

export async function cluster(
  t: TestContext,
  instances = 2,
  reuseGraceSeconds = 0,
  extraEnv: NodeJS.ProcessEnv = {},
  /** Which provider Alex's Tesla is connected through (both in strict reuse mode by default). */
  provider: 'smartcar' | 'highmobility' = 'smartcar',
  /** The instance the sandbox's Smartcar webhooks go to (by index); none by default. */
  webhookInstance?: number,
) {
  const database = await createTestDatabase(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'keyfob-cluster-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  const {
    sandbox,
    env: providerEnv,
    clientSecret,
    hmClientSecret,
  } = await externalSandbox(
    t,
    publicUrl,
    { refreshReuseGraceSeconds: reuseGraceSeconds },
    {
      settings: {
        refreshReuse: reuseGraceSeconds === 0 ? 'strict' : 'grace',
        refreshReuseGraceSeconds: reuseGraceSeconds,
      },
    },
    webhookInstance === undefined ? undefined : `http://127.0.0.1:${ports[webhookInstance]}/webhooks/smartcar`,
  );
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: database.databaseUrl,
    ...(database.directUrl ? { DATABASE_DIRECT_URL: database.directUrl } : {}),
    REDIS_URL: process.env.REDIS_URL,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEYS: keys,
    UPSTREAM_TIMEOUT_MS: '10000',
    ...providerEnv,
    ...extraEnv,
  };
  const processes: KeyfobProcess[] = [];
  for (const port of ports) processes.push(await spawnKeyfob(t, port, env));
  database.closeFirst.push(async () => {
    for (const instance of processes) {
      if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
      await instance.exited;
    }
  });
  const db = new pg.Client({ connectionString: database.databaseUrl });
  // The test database is dropped WITH (FORCE) at the end, which may cut this connection first.
  db.on('error', () => undefined);
  await db.connect();
  t.after(() => db.end().catch(() => undefined));
  const redis = publisherFor(env);
  // A test that takes Redis servers away makes this client retry: that is expected, not an error of the test.
  redis.on('error', () => undefined);
  t.after(() =>
    redis.quit().then(
      () => undefined,
      () => redis.disconnect(),
    ),
  );
  // Connect Alex's cars through the first instance; the other browsers share its session cookie (Redis).
  const first = new Browser(processes[0]?.url ?? '');
  if (provider === 'smartcar') await first.connect({ account: ALEX_ACCOUNT });
  else await first.connectHighMobility({ vehicle: ALEX_TESLA_AT_HIGHMOBILITY });
  const session = await first.request('GET', '/auth/session');
  const tesla = session.json.vehicles.find((vehicle: { make: string }) => vehicle.make === 'TESLA')?.id as string;
  const browsers = processes.map((instance) => {
    const browser = new Browser(instance.url);
    for (const [name, value] of first.cookies) browser.cookies.set(name, value);
    return browser;
  });
  const dataKeys = createDataKeys(createTokenVault(parseKeyRing(keys).entries));
  /** A grant's stored refresh token, opened with its user's data key as Keyfob would. */
  const refreshTokenOf = async (grantId: string): Promise<string | null> => {
    const { rows } = await db.query(
      `SELECT g.user_id::text AS user_id, g.refresh_token_enc, k.wrapped_key FROM grants g
       LEFT JOIN user_data_keys k ON k.user_id = g.user_id WHERE g.id = $1`,
      [grantId],
    );
    const row = rows[0];
    return row?.refresh_token_enc
      ? dataKeys
          .secretsOf(row.user_id, row.wrapped_key)
          .decrypt(row.refresh_token_enc, { table: 'grants', column: 'refresh_token_enc', rowId: grantId })
      : null;
  };
  return {
    sandbox,
    clientSecret,
    refreshTokenOf,
    /** The environment and ports the instances run with, to start one again. */
    env,
    ports,
    processes,
    browsers,
    tesla,
    /** A direct database edit, announced on the invalidation channel as Keyfob's own writes are. */
    expireAccessToken: async () => {
      const { rows } = await db.query(`UPDATE grants SET access_expires_at = now() - interval '1 second' RETURNING id`);
      for (const row of rows) await redis.publish('keyfob:invalidate', JSON.stringify({ kind: 'grant', id: row.id }));
    },
    /** Plain SQL on the shared database; grants a statement returns (`RETURNING id`) are announced as changed. */
    editGrants: async (text: string, params: unknown[] = []) => {
      const { rows } = await db.query(text, params);
      for (const row of rows) await redis.publish('keyfob:invalidate', JSON.stringify({ kind: 'grant', id: row.id }));
      return rows.map((row) => row.id as string);
    },
    query: (text: string, params: unknown[] = []) => db.query(text, params),
    /** The stored refresh token, decrypted, and the grant's status. */
    stored: async () => {
      const { rows } = await db.query('SELECT id, status, version FROM grants');
      const row = rows[0];
      return {
        status: row.status as string,
        version: row.version as number,
        refreshToken: await refreshTokenOf(row.id),
      };
    },
    refreshCalls: () =>
      sandbox.state.calls.get(provider === 'smartcar' ? 'token.refresh_token' : 'highmobility.token.refresh_token'),
    /** True when the stored refresh token is the newest (strict mode would revoke the grant for an older one). */
    storedIsNewest: (refreshToken: string | null) =>
      provider === 'smartcar'
        ? storedIsNewest(sandbox.url, clientSecret, refreshToken)
        : highMobilityStoredIsNewest(sandbox.url, hmClientSecret, refreshToken),
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
export async function storedIsNewest(sandboxUrl: string, clientSecret: string, refreshToken: string | null) {
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

async function highMobilityStoredIsNewest(sandboxUrl: string, clientSecret: string, refreshToken: string | null) {
  if (!refreshToken) return false;
  const response = await fetch(`${sandboxUrl}/highmobility/v1/access_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: EXTERNAL_HM_CLIENT_ID,
      client_secret: clientSecret,
    }),
  });
  return response.status === 200;
}

export const needsServers = (t: TestContext) => {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return false;
  t.skip('needs DATABASE_URL and REDIS_URL: several instances share one Postgres and one Redis');
  return true;
};
