/**
 * The one place that reads the environment. It validates every variable at once and throws a ConfigError that
 * names each bad one, so an operator fixes them all in one go rather than one per restart.
 */
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { PROVIDER_NAMES, PROVIDER_REGISTRY, type ProviderSettingsMap } from '../providers/registry.ts';
import { type AccessSettings, accessSettings } from './access-settings.ts';
import { CARSXE_KEY_VARIABLE, type CarsxeSettings, carsxeSettings } from './carsxe-settings.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { loadDevSecrets } from './dev-secrets.ts';
import { type Env, EnvSchema } from './env-schema.ts';
import { type KeyRingEntry, parseKeyRing } from './key-ring-format.ts';
import { type OidcSettings, oidcSettings } from './oidc-settings.ts';
import { type ProviderName, resolveProviders } from './provider-settings.ts';
import { type RedisSettings, redisSettings } from './redis-settings.ts';

/** Keyfob's settings, and each provider's own under its name (`config.smartcar`, `config.highmobility`). */
export type Config = CoreConfig & ProviderSettingsMap;

export interface CoreConfig {
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
  /** Straight to Postgres (not through PgBouncer), for migrations: DATABASE_DIRECT_URL, else DATABASE_URL. */
  databaseDirectUrl: string | undefined;
  /** Connections in this instance's Postgres pool. */
  databasePoolSize: number;
  /** One Redis server, a Sentinel-watched primary, or a Cluster; none: in-memory sessions, one instance. */
  redis: RedisSettings | undefined;
  sessionSecret: string;
  session: { idleTimeoutSeconds: number; absoluteTimeoutSeconds: number };
  keyRing: KeyRingEntry[];
  dataDir: string;
  /** The enabled vehicle providers, in the order the dashboard offers them. */
  providers: ProviderName[];
  /** Of those, the ones the built-in sandbox stands in for (their hosts are replaced by the sandbox's at start). */
  sandboxedProviders: ProviderName[];
  /** The OpenID Connect identity provider people sign in with; undefined: they sign in with a provider account. */
  oidc: OidcSettings | undefined;
  /** Scopes of people and machine clients (src/access/scope-table.ts). */
  access: AccessSettings;
  /** CarsXE's key and URL; undefined: its routes answer data_service_disabled. */
  carsxe: CarsxeSettings | undefined;
  upstreamTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long an idle client connection stays open (KEEP_ALIVE_TIMEOUT_SECONDS). */
  keepAliveTimeoutMs: number;
  /** Requests allowed per window and key (client IP, session) in each area; 0 means no limit. */
  rateLimits: {
    windowMs: number;
    auth: { perIp: number; perSession: number };
    api: { perIp: number; perSession: number; perMachineClient: number };
  };
  keepalive: { intervalSeconds: number; windowSeconds: number; batchSize: number };
  /** Days of webhook signal history kept (the current value of each signal is always kept). */
  signalHistoryDays: number;
  /** Where erasures are recorded apart from the database (see src/erasure/erasure-ledger.ts). */
  erasureLedgerDir: string;
  /** How recent a sign-in must be for erasure and a full-VIN export. */
  freshSignInSeconds: number;
  /** Whether /openapi.json and /docs are served. */
  openApiPublic: boolean;
  /** Readable (pino-pretty) log lines instead of JSON. */
  logPretty: boolean;
  /** OpenTelemetry tracing, when an OTLP endpoint is set. */
  tracing: { endpoint: string; serviceName: string; propagateUpstream: boolean; sampleRatio: number } | null;
  logLevel: Env['LOG_LEVEL'];
  sandbox: {
    port: number;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    refreshReuseGraceSeconds: number;
    rateLimitPerMinute: number;
    pkce: Env['SANDBOX_PKCE'];
    webhookIntervalSeconds: number;
  };
}

/** What loading decided on the operator's behalf, logged once at start. */
export type ConfigNotice = string;

const MIN_SESSION_SECRET = 32;

function schemaProblems(raw: Record<string, unknown>): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
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

function checkUrl(value: string | undefined, variable: string, protocols: string[], problems: ConfigProblem[]) {
  if (value === undefined) return;
  try {
    const url = new URL(value);
    if (!protocols.includes(url.protocol)) throw new Error('protocol');
  } catch {
    problems.push({ variable, expected: `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` });
  }
}

function checkPublicUrl(value: string, problems: ConfigProblem[]): string {
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

/**
 * The environment with a sandboxed provider's credential variables set to Keyfob's sandbox credentials, and its
 * other sandbox-issued values (Smartcar's webhook AMT) where the operator set none.
 */
function credentialsFor(
  variables: readonly string[],
  sandboxCredentials: Record<string, string>,
  issued: readonly string[],
  env: Record<string, unknown>,
  raw: Record<string, unknown>,
): Record<string, unknown> {
  const extra = issued.filter((variable) => !variables.includes(variable) && raw[variable] === undefined);
  return {
    ...env,
    ...Object.fromEntries([...variables, ...extra].map((variable) => [variable, sandboxCredentials[variable]])),
  };
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
    if (raw.REDIS_URL === undefined && raw.REDIS_SENTINELS === undefined && raw.REDIS_CLUSTER_NODES === undefined) {
      problems.push({
        variable: 'REDIS_URL',
        expected: 'required when NODE_ENV=production (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES)',
      });
    }
    for (const variable of ['DATABASE_URL', 'SESSION_SECRET', 'TOKEN_ENCRYPTION_KEYS', 'ERASURE_LEDGER_DIR'] as const) {
      if (raw[variable] === undefined) {
        problems.push({ variable, expected: 'required when NODE_ENV=production' });
      }
    }
  }
  checkUrl(parsed.DATABASE_URL, 'DATABASE_URL', ['postgres:', 'postgresql:'], problems);
  checkUrl(parsed.DATABASE_DIRECT_URL, 'DATABASE_DIRECT_URL', ['postgres:', 'postgresql:'], problems);
  if (parsed.DATABASE_DIRECT_URL !== undefined && parsed.DATABASE_URL === undefined) {
    problems.push({ variable: 'DATABASE_DIRECT_URL', expected: 'set with DATABASE_URL, or not at all' });
  }
  checkUrl(parsed.REDIS_URL, 'REDIS_URL', ['redis:', 'rediss:'], problems);
  const redis = redisSettings(parsed, problems);
  checkUrl(parsed.OTEL_EXPORTER_OTLP_ENDPOINT, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'], problems);
  for (const name of PROVIDER_NAMES) {
    for (const variable of PROVIDER_REGISTRY[name].settings.urls) {
      checkUrl(parsed[variable] as string | undefined, variable, ['http:', 'https:'], problems);
    }
  }
  if (env.PROVIDER !== undefined && env.PROVIDER !== '') {
    problems.push({
      variable: 'PROVIDER',
      expected: `no longer read: list the enabled vehicle providers in PROVIDERS (${PROVIDER_NAMES.join(', ')}) instead`,
    });
  }
  const { providers, sandboxed } = resolveProviders(raw, parsed.PROVIDERS, production, problems);
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
  const oidc = oidcSettings(parsed, publicUrl, problems);
  const access = accessSettings(parsed, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const carsxeSandboxed = !production && raw.CARSXE_API_KEY === undefined;

  const dataDir = resolve(parsed.DATA_DIR);
  let sessionSecret = parsed.SESSION_SECRET;
  // Keyfob's credentials at the sandbox (production never starts one for a provider: it needs real credentials).
  let sandboxCredentials: Record<string, string> = {};
  if (!production && (sessionSecret === undefined || keyRing.length === 0 || sandboxed.length > 0 || carsxeSandboxed)) {
    const { secrets } = await loadDevSecrets(dataDir);
    sandboxCredentials = secrets.sandboxCredentials;
    if (sessionSecret === undefined) {
      sessionSecret = secrets.sessionSecret;
      notices.push(`SESSION_SECRET is not set: using a generated one kept in ${dataDir}/dev-secrets.json`);
    }
    if (keyRing.length === 0) {
      keyRing = parseKeyRing(secrets.tokenEncryptionKeys).entries;
      notices.push(`TOKEN_ENCRYPTION_KEYS is not set: using a generated key kept in ${dataDir}/dev-secrets.json`);
    }
  }
  // Each provider reads its own settings; one the sandbox stands in for gets Keyfob's sandbox credentials.
  const providerSettings = Object.fromEntries(
    PROVIDER_NAMES.map((name) => {
      const { settings } = PROVIDER_REGISTRY[name];
      const isSandboxed = sandboxed.includes(name);
      const issued = Object.keys(settings.sandboxCredentials());
      const env = isSandboxed
        ? credentialsFor(settings.credentials, sandboxCredentials, issued, withDefaults, raw)
        : withDefaults;
      return [name, settings.read(env, { sandboxed: isSandboxed, raw }, problems)];
    }),
  ) as ProviderSettingsMap;
  const carsxe = carsxeSettings(parsed, { production, sandboxKey: sandboxCredentials[CARSXE_KEY_VARIABLE] }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (parsed.DATABASE_URL === undefined) {
    notices.push(`DATABASE_URL is not set: using the embedded PGlite database in ${dataDir}/pglite`);
  }
  if (redis === undefined) {
    notices.push('REDIS_URL is not set: sessions are kept in memory (single instance only, lost on restart)');
  }

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
      databaseDirectUrl: parsed.DATABASE_DIRECT_URL,
      databasePoolSize: parsed.DATABASE_POOL_SIZE,
      redis,
      sessionSecret: sessionSecret as string,
      session: {
        idleTimeoutSeconds: parsed.SESSION_IDLE_TIMEOUT_SECONDS,
        absoluteTimeoutSeconds: Math.max(parsed.SESSION_ABSOLUTE_TIMEOUT_SECONDS, parsed.SESSION_IDLE_TIMEOUT_SECONDS),
      },
      keyRing,
      dataDir,
      providers,
      sandboxedProviders: sandboxed,
      ...providerSettings,
      oidc,
      access,
      carsxe,
      upstreamTimeoutMs: parsed.UPSTREAM_TIMEOUT_MS,
      requestTimeoutMs: parsed.REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: parsed.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      rateLimits: {
        windowMs: parsed.RATE_LIMIT_WINDOW_SECONDS * 1000,
        auth: { perIp: parsed.RATE_LIMIT_AUTH_PER_IP, perSession: parsed.RATE_LIMIT_AUTH_PER_SESSION },
        api: {
          perIp: parsed.RATE_LIMIT_API_PER_IP,
          perSession: parsed.RATE_LIMIT_API_PER_SESSION,
          perMachineClient: parsed.RATE_LIMIT_API_PER_MACHINE_CLIENT,
        },
      },
      keepalive: {
        intervalSeconds: parsed.KEEPALIVE_INTERVAL_SECONDS,
        windowSeconds: parsed.KEEPALIVE_WINDOW_SECONDS,
        batchSize: parsed.KEEPALIVE_BATCH_SIZE,
      },
      signalHistoryDays: parsed.SIGNAL_HISTORY_DAYS,
      erasureLedgerDir: resolve(parsed.ERASURE_LEDGER_DIR ?? `${dataDir}/erasure-ledger`),
      freshSignInSeconds: parsed.FRESH_SIGN_IN_SECONDS,
      openApiPublic: !production || parsed.OPENAPI_PUBLIC === 'true',
      logPretty:
        parsed.LOG_PRETTY === 'true' || (parsed.LOG_PRETTY === 'auto' && !production && process.stdout.isTTY === true),
      tracing: parsed.OTEL_EXPORTER_OTLP_ENDPOINT
        ? {
            endpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
            serviceName: parsed.OTEL_SERVICE_NAME,
            propagateUpstream: parsed.OTEL_PROPAGATE_UPSTREAM === 'true',
            sampleRatio: parsed.OTEL_TRACES_SAMPLE_RATIO,
          }
        : null,
      logLevel: parsed.LOG_LEVEL,
      sandbox: {
        port: parsed.SANDBOX_PORT,
        accessTokenTtlSeconds: parsed.SANDBOX_ACCESS_TOKEN_TTL_SECONDS,
        refreshTokenTtlSeconds: parsed.SANDBOX_REFRESH_TOKEN_TTL_SECONDS,
        refreshReuseGraceSeconds: parsed.SANDBOX_REFRESH_REUSE_GRACE_SECONDS,
        rateLimitPerMinute: parsed.SANDBOX_RATE_LIMIT_PER_MINUTE,
        pkce: parsed.SANDBOX_PKCE,
        webhookIntervalSeconds: parsed.SANDBOX_WEBHOOK_INTERVAL_SECONDS,
      },
    },
  };
}
