import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const key = () => randomBytes(32).toString('base64');

async function tempDir(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'keyfob-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What production requires besides its providers. */
const productionBasics = (dir: string) => ({
  NODE_ENV: 'production',
  DATA_DIR: dir,
  DATABASE_URL: 'postgres://db/keyfob',
  REDIS_URL: 'redis://cache',
  SESSION_SECRET: 'x'.repeat(32),
  TOKEN_ENCRYPTION_KEYS: `k1:${key()}`,
  ERASURE_LEDGER_DIR: dir,
});

async function problemsOf(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  try {
    await loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return Object.fromEntries(error.problems.map((problem) => [problem.variable, problem.expected]));
  }
  assert.fail('expected a ConfigError');
}

test('every bad variable is named at once, with what it expects', async (t) => {
  const problems = await problemsOf({
    DATA_DIR: await tempDir(t),
    PORT: 'eighty',
    PUBLIC_URL: 'https://cars.example.com/app',
    DATABASE_URL: 'mysql://localhost/db',
    REDIS_URL: 'http://localhost',
    SESSION_SECRET: 'short',
    TOKEN_ENCRYPTION_KEYS: 'k1:tooshort',
    PROVIDERS: 'tesla-direct',
    LOG_LEVEL: 'loud',
    SANDBOX_REFRESH_REUSE_GRACE_SECONDS: '-1',
  });
  assert.deepEqual(Object.keys(problems).sort(), [
    'DATABASE_URL',
    'LOG_LEVEL',
    'PORT',
    'PROVIDERS',
    'PUBLIC_URL',
    'REDIS_URL',
    'SANDBOX_REFRESH_REUSE_GRACE_SECONDS',
    'SESSION_SECRET',
    'TOKEN_ENCRYPTION_KEYS',
  ]);
  assert.match(problems.PORT ?? '', /0 to 65535.*eighty/);
  assert.match(problems.SESSION_SECRET ?? '', /at least 32 characters \(got 5\)/);
  assert.match(problems.TOKEN_ENCRYPTION_KEYS ?? '', /32 bytes/);
  assert.match(problems.PROVIDERS ?? '', /smartcar, highmobility/);
  assert.match(problems.PUBLIC_URL ?? '', /no path/);
});

test('production refuses to start without its four secrets, its erasure ledger and its providers', async (t) => {
  const problems = await problemsOf({ NODE_ENV: 'production', DATA_DIR: await tempDir(t) });
  assert.deepEqual(Object.keys(problems).sort(), [
    'DATABASE_URL',
    'ERASURE_LEDGER_DIR',
    'PROVIDERS',
    'REDIS_URL',
    'SESSION_SECRET',
    'TOKEN_ENCRYPTION_KEYS',
  ]);
  for (const expected of Object.values(problems)) assert.match(expected, /required when NODE_ENV=production/);
});

test('a leftover PROVIDER is refused with a message that names PROVIDERS', async (t) => {
  const problems = await problemsOf({ DATA_DIR: await tempDir(t), PROVIDER: 'sandbox' });
  assert.deepEqual(Object.keys(problems), ['PROVIDER']);
  assert.match(problems.PROVIDER ?? '', /PROVIDERS/);
});

test('PROVIDERS: each enabled provider needs its credentials in production; outside it, none means the sandbox', async (t) => {
  const dir = await tempDir(t);
  const production = await problemsOf({
    ...productionBasics(dir),
    PROVIDERS: 'smartcar,highmobility',
    SMARTCAR_CLIENT_ID: 'id',
    SMARTCAR_CLIENT_SECRET: 'secret',
  });
  assert.deepEqual(Object.keys(production).sort(), [
    'HIGHMOBILITY_APP_ID',
    'HIGHMOBILITY_CLIENT_ID',
    'HIGHMOBILITY_CLIENT_SECRET',
  ]);
  const mixed = await loadConfig({
    DATA_DIR: dir,
    PROVIDERS: 'highmobility, smartcar',
    SMARTCAR_CLIENT_ID: 'id',
    SMARTCAR_CLIENT_SECRET: 'secret',
  });
  assert.deepEqual(mixed.config.providers, ['highmobility', 'smartcar']);
  assert.deepEqual(mixed.config.sandboxedProviders, ['highmobility']);
  const onlySmartcar = await loadConfig({ DATA_DIR: dir, SMARTCAR_CLIENT_ID: 'id', SMARTCAR_CLIENT_SECRET: 's' });
  assert.deepEqual(onlySmartcar.config.providers, ['smartcar']);
  assert.deepEqual(onlySmartcar.config.sandboxedProviders, []);
  const half = await problemsOf({ DATA_DIR: dir, HIGHMOBILITY_CLIENT_ID: 'id' });
  assert.deepEqual(Object.keys(half).sort(), ['HIGHMOBILITY_APP_ID', 'HIGHMOBILITY_CLIENT_SECRET']);
});

test("the sandbox's clients are UUIDv4s like Smartcar's; the assertion key needs its id", async (t) => {
  const dir = await tempDir(t);
  const { config } = await loadConfig({ DATA_DIR: dir });
  const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(config.smartcar.clientId, uuid4);
  assert.match(config.smartcar.clientSecret, uuid4);
  assert.match(config.highmobility.appId, /^[0-9a-f]{24}$/);
  const problems = await problemsOf({ DATA_DIR: dir, HIGHMOBILITY_PRIVATE_KEY: '/no/such/key.pem' });
  assert.match(problems.HIGHMOBILITY_PRIVATE_KEY ?? '', /PEM/);
  assert.ok(!JSON.stringify(problems).includes('/no/such'), 'the value (a secret, or its path) is not echoed');
});

test('key ring entries: ids checked, duplicates refused, first encrypts', async (t) => {
  const dir = await tempDir(t);
  const duplicate = await problemsOf({ DATA_DIR: dir, TOKEN_ENCRYPTION_KEYS: `a:${key()},a:${key()}` });
  assert.match(duplicate.TOKEN_ENCRYPTION_KEYS ?? '', /appears twice/);
  const noId = await problemsOf({ DATA_DIR: dir, TOKEN_ENCRYPTION_KEYS: key() });
  assert.match(noId.TOKEN_ENCRYPTION_KEYS ?? '', /needs an id/);
  const { config } = await loadConfig({ DATA_DIR: dir, TOKEN_ENCRYPTION_KEYS: `new:${key()}, old:${key()}` });
  assert.deepEqual(
    config.keyRing.map((entry) => entry.id),
    ['new', 'old'],
  );
});

test('outside production, missing secrets are generated once, persisted privately and announced', async (t) => {
  const dir = await tempDir(t);
  const first = await loadConfig({ DATA_DIR: dir });
  assert.ok(first.config.sessionSecret.length >= 32);
  assert.equal(first.config.keyRing.length, 1);
  assert.ok(first.notices.some((notice) => notice.startsWith('SESSION_SECRET is not set')));
  assert.ok(first.notices.some((notice) => notice.startsWith('TOKEN_ENCRYPTION_KEYS is not set')));
  assert.ok(first.notices.some((notice) => notice.startsWith('DATABASE_URL is not set')));
  assert.ok(first.notices.some((notice) => notice.startsWith('REDIS_URL is not set')));
  const file = join(dir, 'dev-secrets.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const second = await loadConfig({ DATA_DIR: dir });
  assert.equal(second.config.sessionSecret, first.config.sessionSecret, 'the same secret after a restart');
  assert.deepEqual(second.config.keyRing[0]?.key, first.config.keyRing[0]?.key);
  for (const notice of first.notices) {
    assert.ok(!notice.includes(first.config.sessionSecret), 'a notice never prints the secret');
  }
  assert.ok((await readFile(file, 'utf8')).includes(first.config.sessionSecret));
});

test('an https PUBLIC_URL turns on secure cookies; defaults are sensible', async (t) => {
  const dir = await tempDir(t);
  const secure = await loadConfig({ DATA_DIR: dir, PUBLIC_URL: 'https://cars.example.com' });
  assert.equal(secure.config.secureCookies, true);
  assert.equal(secure.config.publicUrl, 'https://cars.example.com');
  const local = await loadConfig({ DATA_DIR: dir, PORT: '4321' });
  assert.equal(local.config.publicUrl, 'http://localhost:4321');
  assert.equal(local.config.secureCookies, false);
  assert.deepEqual(local.config.providers, ['smartcar', 'highmobility']);
  assert.deepEqual(local.config.sandboxedProviders, ['smartcar', 'highmobility']);
  assert.equal(local.config.sandbox.refreshReuseGraceSeconds, 60);
});

test('OIDC settings: the issuer needs a client id and its credential; nothing of them without an issuer', async (t) => {
  const dir = await tempDir(t);
  const missing = await problemsOf({ DATA_DIR: dir, OIDC_ISSUER: 'https://login.example.com' });
  assert.deepEqual(Object.keys(missing).sort(), ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET']);
  const keyless = await problemsOf({
    DATA_DIR: dir,
    OIDC_ISSUER: 'https://login.example.com',
    OIDC_CLIENT_ID: 'keyfob',
    OIDC_CLIENT_AUTH: 'private_key_jwt',
  });
  assert.deepEqual(Object.keys(keyless), ['OIDC_PRIVATE_KEY']);
  const orphan = await problemsOf({ DATA_DIR: dir, OIDC_CLIENT_ID: 'keyfob' });
  assert.match(orphan.OIDC_CLIENT_ID ?? '', /OIDC_ISSUER/);
  assert.match((await problemsOf({ DATA_DIR: dir, OIDC_SCOPES: 'profile email' })).OIDC_SCOPES ?? '', /openid/);
  const { config } = await loadConfig({
    DATA_DIR: dir,
    PUBLIC_URL: 'https://cars.example.com',
    OIDC_ISSUER: 'https://login.example.com',
    OIDC_CLIENT_ID: 'keyfob',
    OIDC_CLIENT_SECRET: 'secret',
  });
  assert.deepEqual(
    { auth: config.oidc?.clientAuth, scopes: config.oidc?.scopes, after: config.oidc?.postLogoutRedirectUri },
    { auth: 'client_secret_basic', scopes: 'openid profile email', after: 'https://cars.example.com/' },
  );
  assert.equal((await loadConfig({ DATA_DIR: dir })).config.oidc, undefined);
});

test('machine clients: never none or an HMAC, an audience with the issuer; scopes only from the table', async (t) => {
  const dataDir = await tempDir(t);
  const problems = await problemsOf({
    DATA_DIR: dataDir,
    MACHINE_ISSUER: 'https://as.example.com',
    MACHINE_ALGORITHMS: 'RS256,HS256,none',
    USER_SCOPES: 'vehicle.read_list vehicle.teleport',
    OIDC_SCOPES_CLAIM: 'roles',
  });
  assert.match(problems.MACHINE_ALGORITHMS ?? '', /never none or an HMAC; got HS256, none/);
  assert.match(problems.MACHINE_AUDIENCE ?? '', /required with MACHINE_ISSUER/);
  assert.match(problems.USER_SCOPES ?? '', /unknown: vehicle.teleport/);
  assert.match(problems.OIDC_SCOPES_CLAIM ?? '', /with OIDC_ISSUER/);
  assert.match(
    (await problemsOf({ DATA_DIR: dataDir, MACHINE_AUDIENCE: 'x' })).MACHINE_AUDIENCE ?? '',
    /with MACHINE_ISSUER/,
  );
  const { config } = await loadConfig({
    DATA_DIR: dataDir,
    MACHINE_ISSUER: 'https://as.example.com',
    MACHINE_AUDIENCE: 'https://keyfob.example.com/api',
  });
  assert.deepEqual(config.access.machine?.algorithms, ['RS256', 'ES256', 'PS256', 'EdDSA']);
  assert.equal(config.access.machine?.requireTyp, true);
  assert.equal(config.access.userScopes.length, 11, 'people hold every scope by default');
  assert.equal(config.carsxe?.sandboxed, true, 'CarsXE runs against the sandbox without a key outside production');
  const real = await loadConfig({ DATA_DIR: dataDir, CARSXE_API_KEY: 'k'.repeat(32) });
  assert.deepEqual(real.config.carsxe, { apiKey: 'k'.repeat(32), apiUrl: 'https://api.carsxe.com', sandboxed: false });
});

test('OPENAPI_PUBLIC, LOG_PRETTY and OTEL_*: off in production unless asked for; tracing only with an endpoint', async (t) => {
  const dir = await tempDir(t);
  const production = {
    ...productionBasics(dir),
    PROVIDERS: 'smartcar',
    SMARTCAR_CLIENT_ID: 'id',
    SMARTCAR_CLIENT_SECRET: 'secret',
  };
  const inProduction = (await loadConfig(production)).config;
  assert.equal(inProduction.openApiPublic, false, 'the description is not published in production by default');
  assert.equal(inProduction.logPretty, false);
  assert.equal(inProduction.tracing, null, 'no endpoint, no tracing');
  const asked = (
    await loadConfig({
      ...production,
      OPENAPI_PUBLIC: 'true',
      LOG_PRETTY: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    })
  ).config;
  assert.equal(asked.openApiPublic, true);
  assert.equal(asked.logPretty, true);
  assert.deepEqual(asked.tracing, {
    endpoint: 'http://collector:4318',
    serviceName: 'keyfob',
    propagateUpstream: false,
    sampleRatio: 1,
  });
  const development = (await loadConfig({ DATA_DIR: dir })).config;
  assert.equal(development.openApiPublic, true, 'served outside production');
  assert.equal(development.logPretty, process.stdout.isTTY === true, 'auto: readable on a terminal only');
  const sampled = await loadConfig({
    DATA_DIR: dir,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_TRACES_SAMPLE_RATIO: '0.25',
  });
  assert.equal(sampled.config.tracing?.sampleRatio, 0.25);
  const bad = await problemsOf({
    DATA_DIR: dir,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
    OTEL_TRACES_SAMPLE_RATIO: '2',
  });
  assert.ok(bad.OTEL_EXPORTER_OTLP_ENDPOINT, 'an endpoint that is not an http(s) URL is refused');
  assert.ok(bad.OTEL_TRACES_SAMPLE_RATIO, 'a ratio above 1 is refused');
});
