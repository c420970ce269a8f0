/**
 * The one place that reads the environment. It validates every variable at once and throws a ConfigError that
 * names each bad one, so an operator fixes them all in one go rather than one per restart.
 */
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './config-error.ts';
import { ephemeralSandboxClients, loadDevSecrets } from './dev-secrets.ts';
import { type Env, EnvSchema } from './env-schema.ts';
import { type KeyRingEntry, parseKeyRing } from './key-ring-format.ts';
import { type HighMobilitySettings, type ProviderName, readPrivateKey, resolveProviders } from './provider-settings.ts';

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  host: string;
  /** Fastify's trustProxy: whom to believe about X-Forwarded-Proto and -For (a TLS terminator in front). */
  trustProxy: boolean | number | string[];
  /** The origin the browser sees, without a trailing slash. */
  publicUrl: string;
  /** True when PUBLIC_URL is https: cookies become Secure and `__Host-` prefixed. */
  secureCookies: boolean;
  databaseUrl: string | undefined;
  /** Connections in this instance's Postgres pool. */
  databasePoolSize: number;
  redisUrl: string | undefined;
  sessionSecret: string;
  session: { idleTimeoutSeconds: number; absoluteTimeoutSeconds: number };
  keyRing: KeyRingEntry[];
  dataDir: string;
  /** The enabled vehicle providers, in the order the dashboard offers them. */
  providers: ProviderName[];
  /** Of those, the ones the built-in sandbox stands in for (their hosts are replaced by the sandbox's at start). */
  sandboxedProviders: ProviderName[];
  /** Smartcar's settings. */
  smartcar: {
    clientId: string;
    clientSecret: string;
    scopes: string;
    mode: Env['SMARTCAR_MODE'];
    connectUrl: string;
    authUrl: string;
    apiUrl: string;
    apiVersion: 2 | 3;
    v3ApiUrl: string;
    iamUrl: string;
  };
  highmobility: HighMobilitySettings;
  upstreamTimeoutMs: number;
  requestTimeoutMs: number;
  /** Requests allowed per window and key (client IP, session) in each area; 0 means no limit. */
  rateLimits: {
    windowMs: number;
    auth: { perIp: number; perSession: number };
    api: { perIp: number; perSession: number };
  };
  keepalive: { intervalSeconds: number; windowSeconds: number; batchSize: number };
  logLevel: Env['LOG_LEVEL'];
  sandbox: {
    port: number;
    /** The sandbox's Smartcar client: a UUIDv4 id and secret, like Smartcar's. */
    clientId: string;
    clientSecret: string;
    highmobility: { clientId: string; clientSecret: string; appId: string };
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    refreshReuseGraceSeconds: number;
    rateLimitPerMinute: number;
    pkce: Env['SANDBOX_PKCE'];
  };
}

/** What loading decided on the operator's behalf, logged once at start. */
export type ConfigNotice = string;

type Problem = { variable: string; expected: string };

const MIN_SESSION_SECRET = 32;

function schemaProblems(raw: Record<string, unknown>): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of Value.Errors(EnvSchema, raw)) {
    const variable = error.path.replace(/^\//, '');
    if (!variable || seen.has(variable)) continue;
    seen.add(variable);
    const description = (error.schema as { description?: string }).description;
    const got = raw[variable];
    problems.push({ variable, expected: `${description ?? error.message} (got "${String(got)}")` });
  }
  return problems;
}

function pickEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    // An empty variable (`FOO=` in a .env file) means "not set", as in most tools.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return raw;
}

function checkUrl(value: string | undefined, variable: string, protocols: string[], problems: Problem[]) {
  if (value === undefined) return;
  try {
    const url = new URL(value);
    if (!protocols.includes(url.protocol)) throw new Error('protocol');
  } catch {
    problems.push({ variable, expected: `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` });
  }
}

function checkPublicUrl(value: string, problems: Problem[]): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    if (url.pathname !== '/' || url.search || url.hash || url.username) throw new Error('not an origin');
    return url.origin;
  } catch {
    problems.push({
      variable: 'PUBLIC_URL',
      expected: 'an origin like https://cars.example.com (http or https, no path, query or credentials)',
    });
    return value;
  }
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^[0-9]+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Validates the environment; outside production fills missing secrets from DATA_DIR. */
export async function loadConfig(env: NodeJS.ProcessEnv): Promise<{ config: Config; notices: ConfigNotice[] }> {
  const raw = pickEnv(env);
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, structuredClone(raw))) as Record<
    string,
    unknown
  >;
  const problems = schemaProblems(withDefaults);
  const notices: ConfigNotice[] = [];
  const parsed = withDefaults as Env;
  const production = parsed.NODE_ENV === 'production';

  if (production) {
    for (const variable of ['DATABASE_URL', 'REDIS_URL', 'SESSION_SECRET', 'TOKEN_ENCRYPTION_KEYS'] as const) {
      if (raw[variable] === undefined) {
        problems.push({ variable, expected: 'required when NODE_ENV=production' });
      }
    }
  }
  checkUrl(parsed.DATABASE_URL, 'DATABASE_URL', ['postgres:', 'postgresql:'], problems);
  checkUrl(parsed.REDIS_URL, 'REDIS_URL', ['redis:', 'rediss:'], problems);
  for (const variable of [
    'SMARTCAR_CONNECT_URL',
    'SMARTCAR_AUTH_URL',
    'SMARTCAR_API_URL',
    'SMARTCAR_V3_API_URL',
    'SMARTCAR_IAM_URL',
  ] as const) {
    checkUrl(parsed[variable], variable, ['http:', 'https:'], problems);
  }
  for (const variable of ['HIGHMOBILITY_AUTH_URL', 'HIGHMOBILITY_API_URL'] as const) {
    checkUrl(parsed[variable], variable, ['http:', 'https:'], problems);
  }
  if (env.PROVIDER !== undefined && env.PROVIDER !== '') {
    problems.push({
      variable: 'PROVIDER',
      expected: 'no longer read: list the enabled vehicle providers in PROVIDERS (smartcar, highmobility) instead',
    });
  }
  const { providers, sandboxed } = resolveProviders(raw, parsed, production, problems);
  const privateKeyPem = readPrivateKey(parsed.HIGHMOBILITY_PRIVATE_KEY, problems);
  if ((privateKeyPem === undefined) !== (parsed.HIGHMOBILITY_PRIVATE_KEY_ID === undefined)) {
    problems.push({
      variable: privateKeyPem === undefined ? 'HIGHMOBILITY_PRIVATE_KEY' : 'HIGHMOBILITY_PRIVATE_KEY_ID',
      expected: 'set together with the other: the assertion needs the key and its id',
    });
  }
  if (parsed.SESSION_SECRET !== undefined && parsed.SESSION_SECRET.length < MIN_SESSION_SECRET) {
    problems.push({
      variable: 'SESSION_SECRET',
      expected: `at least ${MIN_SESSION_SECRET} characters (got ${parsed.SESSION_SECRET.length})`,
    });
  }
  let keyRing: KeyRingEntry[] = [];
  if (parsed.TOKEN_ENCRYPTION_KEYS !== undefined) {
    const ring = parseKeyRing(parsed.TOKEN_ENCRYPTION_KEYS);
    keyRing = ring.entries;
    if (ring.problems.length > 0) {
      problems.push({ variable: 'TOKEN_ENCRYPTION_KEYS', expected: ring.problems.join('; ') });
    }
  }
  const port = typeof parsed.PORT === 'number' ? parsed.PORT : 3000;
  const publicUrl = checkPublicUrl(parsed.PUBLIC_URL ?? `http://localhost:${port}`, problems);
  if (production && !publicUrl.startsWith('https://') && raw.PUBLIC_URL !== undefined) {
    notices.push('PUBLIC_URL is not https: cookies are not Secure; use https in production');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = resolve(parsed.DATA_DIR);
  let sessionSecret = parsed.SESSION_SECRET;
  let sandboxClients = ephemeralSandboxClients();
  if (!production && (sessionSecret === undefined || keyRing.length === 0 || sandboxed.length > 0)) {
    const { secrets } = await loadDevSecrets(dataDir);
    sandboxClients = secrets.sandboxClients;
    if (sessionSecret === undefined) {
      sessionSecret = secrets.sessionSecret;
      notices.push(`SESSION_SECRET is not set: using a generated one kept in ${dataDir}/dev-secrets.json`);
    }
    if (keyRing.length === 0) {
      keyRing = parseKeyRing(secrets.tokenEncryptionKeys).entries;
      notices.push(`TOKEN_ENCRYPTION_KEYS is not set: using a generated key kept in ${dataDir}/dev-secrets.json`);
    }
  }
  if (parsed.DATABASE_URL === undefined) {
    notices.push(`DATABASE_URL is not set: using the embedded PGlite database in ${dataDir}/pglite`);
  }
  if (parsed.REDIS_URL === undefined) {
    notices.push('REDIS_URL is not set: sessions are kept in memory (single instance only, lost on restart)');
  }

  const smartcarSandboxed = sandboxed.includes('smartcar');
  const highmobilitySandboxed = sandboxed.includes('highmobility');
  return {
    notices,
    config: {
      nodeEnv: parsed.NODE_ENV,
      port,
      host: parsed.HOST,
      trustProxy: parseTrustProxy(parsed.TRUST_PROXY),
      publicUrl,
      secureCookies: publicUrl.startsWith('https://'),
      databaseUrl: parsed.DATABASE_URL,
      databasePoolSize: parsed.DATABASE_POOL_SIZE,
      redisUrl: parsed.REDIS_URL,
      sessionSecret: sessionSecret as string,
      session: {
        idleTimeoutSeconds: parsed.SESSION_IDLE_TIMEOUT_SECONDS,
        absoluteTimeoutSeconds: Math.max(parsed.SESSION_ABSOLUTE_TIMEOUT_SECONDS, parsed.SESSION_IDLE_TIMEOUT_SECONDS),
      },
      keyRing,
      dataDir,
      providers,
      sandboxedProviders: sandboxed,
      smartcar: {
        clientId: smartcarSandboxed ? sandboxClients.smartcar.clientId : (parsed.SMARTCAR_CLIENT_ID ?? ''),
        clientSecret: smartcarSandboxed ? sandboxClients.smartcar.clientSecret : (parsed.SMARTCAR_CLIENT_SECRET ?? ''),
        scopes: parsed.SMARTCAR_SCOPES,
        mode: smartcarSandboxed && raw.SMARTCAR_MODE === undefined ? 'simulated' : parsed.SMARTCAR_MODE,
        connectUrl: parsed.SMARTCAR_CONNECT_URL.replace(/\/$/, ''),
        authUrl: parsed.SMARTCAR_AUTH_URL.replace(/\/$/, ''),
        apiUrl: parsed.SMARTCAR_API_URL.replace(/\/$/, ''),
        apiVersion: parsed.SMARTCAR_API_VERSION,
        v3ApiUrl: parsed.SMARTCAR_V3_API_URL.replace(/\/$/, ''),
        iamUrl: parsed.SMARTCAR_IAM_URL.replace(/\/$/, ''),
      },
      highmobility: {
        clientId: highmobilitySandboxed ? sandboxClients.highmobility.clientId : (parsed.HIGHMOBILITY_CLIENT_ID ?? ''),
        clientSecret: highmobilitySandboxed
          ? sandboxClients.highmobility.clientSecret
          : (parsed.HIGHMOBILITY_CLIENT_SECRET ?? ''),
        appId: highmobilitySandboxed ? sandboxClients.highmobility.appId : (parsed.HIGHMOBILITY_APP_ID ?? ''),
        authUrl: parsed.HIGHMOBILITY_AUTH_URL,
        apiUrl: parsed.HIGHMOBILITY_API_URL.replace(/\/$/, ''),
        privateKeyPem,
        privateKeyId: parsed.HIGHMOBILITY_PRIVATE_KEY_ID,
      },
      upstreamTimeoutMs: parsed.UPSTREAM_TIMEOUT_MS,
      requestTimeoutMs: parsed.REQUEST_TIMEOUT_SECONDS * 1000,
      rateLimits: {
        windowMs: parsed.RATE_LIMIT_WINDOW_SECONDS * 1000,
        auth: { perIp: parsed.RATE_LIMIT_AUTH_PER_IP, perSession: parsed.RATE_LIMIT_AUTH_PER_SESSION },
        api: { perIp: parsed.RATE_LIMIT_API_PER_IP, perSession: parsed.RATE_LIMIT_API_PER_SESSION },
      },
      keepalive: {
        intervalSeconds: parsed.KEEPALIVE_INTERVAL_SECONDS,
        windowSeconds: parsed.KEEPALIVE_WINDOW_SECONDS,
        batchSize: parsed.KEEPALIVE_BATCH_SIZE,
      },
      logLevel: parsed.LOG_LEVEL,
      sandbox: {
        port: parsed.SANDBOX_PORT,
        clientId: sandboxClients.smartcar.clientId,
        clientSecret: sandboxClients.smartcar.clientSecret,
        highmobility: sandboxClients.highmobility,
        accessTokenTtlSeconds: parsed.SANDBOX_ACCESS_TOKEN_TTL_SECONDS,
        refreshTokenTtlSeconds: parsed.SANDBOX_REFRESH_TOKEN_TTL_SECONDS,
        refreshReuseGraceSeconds: parsed.SANDBOX_REFRESH_REUSE_GRACE_SECONDS,
        rateLimitPerMinute: parsed.SANDBOX_RATE_LIMIT_PER_MINUTE,
        pkce: parsed.SANDBOX_PKCE,
      },
    },
  };
}
