/**
 * The whole of Keyfob's environment, as one TypeBox schema. The `Config` type is derived from it, so a setting
 * is declared once. README.md and .env.example list the same names; test/config checks that they agree.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PROVIDER_NAMES, PROVIDER_REGISTRY } from '../providers/registry.ts';

const Integer = (options: { default?: number; minimum: number; maximum: number; description: string }) =>
  Type.Integer(options);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Each provider's own variables come from its folder (src/providers/<name>/settings.ts), through the registry. */
const PROVIDER_ENV: Record<string, TSchema> = Object.assign(
  {},
  ...Object.values(PROVIDER_REGISTRY).map((module) => module.settings.env),
);

const CORE_ENV = {
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description: 'development, test or production; production refuses to start without its secrets',
  }),
  PORT: Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'a TCP port, 0 to 65535' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'the address to listen on' }),
  TRUST_PROXY: Type.String({
    default: 'false',
    pattern: '^(true|false|[0-9]+|[0-9a-fA-F.:/,\\s]+)$',
    description: 'false, true, a number of proxy hops, or comma-separated proxy addresses/CIDRs',
  }),
  PUBLIC_URL: Type.Optional(
    Type.String({ description: 'the origin the browser sees, like https://cars.example.com (no path)' }),
  ),
  DATABASE_URL: Type.Optional(Type.String({ description: 'a postgres:// or postgresql:// connection URL' })),
  DATABASE_DIRECT_URL: Type.Optional(
    Type.String({ description: 'a postgres:// URL straight to the server, for migrations behind PgBouncer' }),
  ),
  DATABASE_POOL_SIZE: Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    description: 'Postgres connections per instance, 1 to 1000 (the embedded database always uses 1)',
  }),
  REDIS_URL: Type.Optional(Type.String({ description: 'a redis:// or rediss:// connection URL' })),
  REDIS_SENTINELS: Type.Optional(
    Type.String({ description: "the sentinels' host:port entries, comma-separated (instead of REDIS_URL)" }),
  ),
  REDIS_SENTINEL_NAME: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'the name Sentinel monitors the primary under' }),
  ),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({ description: "some of the cluster's host:port entries, comma-separated (instead of REDIS_URL)" }),
  ),
  REDIS_USERNAME: Type.Optional(Type.String({ description: 'the Redis ACL user, with Sentinel or Cluster' })),
  REDIS_PASSWORD: Type.Optional(Type.String({ description: "the Redis servers' password, with Sentinel or Cluster" })),
  REDIS_SENTINEL_PASSWORD: Type.Optional(Type.String({ description: "the sentinels' own password, if they have one" })),
  REDIS_TLS: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: speak TLS to the Redis servers and sentinels of REDIS_SENTINELS or REDIS_CLUSTER_NODES',
  }),
  SESSION_SECRET: Type.Optional(Type.String({ description: 'a random secret of at least 32 characters' })),
  TOKEN_ENCRYPTION_KEYS: Type.Optional(
    Type.String({ description: 'comma-separated id:base64-32-byte-key entries; the first encrypts' }),
  ),
  SESSION_IDLE_TIMEOUT_SECONDS: Integer({
    default: 7200,
    minimum: 2,
    maximum: 2_592_000,
    description: 'seconds of inactivity after which a session ends, 2 or more',
  }),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: Integer({
    default: 86_400,
    minimum: 2,
    maximum: 31_536_000,
    description: 'seconds after sign-in at which a session ends however active, 2 or more',
  }),
  DATA_DIR: Type.String({ default: './data', minLength: 1, description: 'a folder for embedded data' }),
  PROVIDERS: Type.Optional(
    Type.String({
      pattern: `^\\s*(${PROVIDER_NAMES.join('|')})(\\s*,\\s*(${PROVIDER_NAMES.join('|')}))*\\s*$`,
      description: `comma-separated vehicle providers to enable: ${PROVIDER_NAMES.join(', ')}`,
    }),
  ),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', description: `one of ${LOG_LEVELS.join(', ')}` },
  ),
  OIDC_ISSUER: Type.Optional(
    Type.String({ description: "the identity provider's issuer URL (its discovery document is read from it)" }),
  ),
  OIDC_CLIENT_ID: Type.Optional(
    Type.String({ minLength: 1, description: "Keyfob's client id at the identity provider" }),
  ),
  OIDC_CLIENT_SECRET: Type.Optional(
    Type.String({ minLength: 1, description: "Keyfob's client secret at the identity provider" }),
  ),
  OIDC_SCOPES: Type.String({
    default: 'openid profile email',
    pattern: '(^|\\s)openid(\\s|$)',
    description: 'space-separated scopes to ask for; openid among them',
  }),
  OIDC_CLIENT_AUTH: Type.Union(
    [Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('private_key_jwt')],
    { default: 'client_secret_basic', description: 'client_secret_basic, client_secret_post or private_key_jwt' },
  ),
  OIDC_PRIVATE_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'a PKCS#8 private key (PEM, or a path to one) for private_key_jwt' }),
  ),
  OIDC_POST_LOGOUT_REDIRECT_URI: Type.Optional(
    Type.String({ description: 'where the identity provider sends the browser after logout (default: the dashboard)' }),
  ),
  OIDC_USERINFO: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: read the userinfo endpoint at sign-in for the name and email',
  }),
  OIDC_SCOPES_CLAIM: Type.Optional(
    Type.String({
      minLength: 1,
      pattern: '^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$',
      description:
        'the ID token claim (a name, or a dotted path) listing the scopes a person holds, within USER_SCOPES',
    }),
  ),
  USER_SCOPES: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'space- or comma-separated scopes every signed-in person holds (default: every scope of the table)',
    }),
  ),
  MACHINE_ISSUER: Type.Optional(
    Type.String({ description: "the machine clients' authorization server (its issuer URL); unset: no bearer tokens" }),
  ),
  MACHINE_JWKS_URL: Type.Optional(
    Type.String({
      description: "the authorization server's JWKS URL (default: found by discovery from MACHINE_ISSUER)",
    }),
  ),
  MACHINE_AUDIENCE: Type.Optional(
    Type.String({ minLength: 1, description: "Keyfob's resource identifier: the aud machine tokens must carry" }),
  ),
  MACHINE_ALGORITHMS: Type.String({
    default: 'RS256,ES256,PS256,EdDSA',
    minLength: 1,
    description: 'comma-separated JWS algorithms machine tokens may be signed with (asymmetric only)',
  }),
  MACHINE_REQUIRE_TYP: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'true',
    description: 'true: machine tokens must carry typ at+jwt (RFC 9068); false accepts any typ',
  }),
  MACHINE_ENFORCE_TOKEN_LIFETIME: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'true',
    description: "true: a machine token living longer than its route's scope allows (README's scope table) is refused",
  }),
  CARSXE_API_KEY: Type.Optional(
    Type.String({ minLength: 1, description: "Keyfob's CarsXE API key (unset outside production: the sandbox's)" }),
  ),
  CARSXE_API_URL: Type.String({
    default: 'https://api.carsxe.com',
    description: "CarsXE's API base URL",
  }),
  UPSTREAM_TIMEOUT_MS: Integer({
    default: 10_000,
    minimum: 100,
    maximum: 120_000,
    description: 'milliseconds to wait for the provider before answering 504',
  }),
  REQUEST_TIMEOUT_SECONDS: Integer({
    default: 30,
    minimum: 1,
    maximum: 600,
    description: 'seconds a client has to send a whole request (headers within min(10, this)) before 408',
  }),
  KEEP_ALIVE_TIMEOUT_SECONDS: Integer({
    default: 75,
    minimum: 1,
    maximum: 3600,
    description:
      "seconds an idle client connection is kept open; keep it above your load balancer's idle timeout (AWS ALB 60)",
  }),
  RATE_LIMIT_WINDOW_SECONDS: Integer({
    default: 60,
    minimum: 1,
    maximum: 86_400,
    description: 'the window the RATE_LIMIT_* counts apply to, in seconds',
  }),
  RATE_LIMIT_AUTH_PER_IP: Integer({
    default: 300,
    minimum: 0,
    maximum: 10_000_000,
    description: 'requests to /auth/* per client IP per window before 429; 0 turns it off',
  }),
  RATE_LIMIT_AUTH_PER_SESSION: Integer({
    default: 60,
    minimum: 0,
    maximum: 10_000_000,
    description: 'requests to /auth/* per session per window before 429; 0 turns it off',
  }),
  RATE_LIMIT_API_PER_IP: Integer({
    default: 3000,
    minimum: 0,
    maximum: 10_000_000,
    description: 'requests to /api/* per client IP per window before 429; 0 turns it off',
  }),
  RATE_LIMIT_API_PER_SESSION: Integer({
    default: 600,
    minimum: 0,
    maximum: 10_000_000,
    description: 'requests to /api/* per session per window before 429; 0 turns it off',
  }),
  RATE_LIMIT_API_PER_MACHINE_CLIENT: Integer({
    default: 600,
    minimum: 0,
    maximum: 10_000_000,
    description: 'requests to /api/* per machine client id per window before 429; 0 turns it off',
  }),
  ERASURE_LEDGER_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'a folder kept apart from the database and its backups (shared by every instance) where erasures are recorded; required in production, DATA_DIR/erasure-ledger otherwise',
    }),
  ),
  FRESH_SIGN_IN_SECONDS: Integer({
    default: 300,
    minimum: 30,
    maximum: 3600,
    description: 'how recent a sign-in must be to erase the account or export the full VINs (30 to 3600)',
  }),
  SIGNAL_HISTORY_DAYS: Integer({
    default: 30,
    minimum: 1,
    maximum: 3650,
    description: 'days of vehicle signal history (from webhooks) kept for the dashboard chart, 1 or more',
  }),
  KEEPALIVE_INTERVAL_SECONDS: Integer({
    default: 0,
    minimum: 0,
    maximum: 604_800,
    description: 'seconds between keep-alive runs in the server; 0 turns the schedule off',
  }),
  KEEPALIVE_WINDOW_SECONDS: Integer({
    default: 604_800,
    minimum: 60,
    maximum: 31_536_000,
    description: 'refresh grants whose refresh token expires within this many seconds',
  }),
  KEEPALIVE_BATCH_SIZE: Integer({ default: 100, minimum: 1, maximum: 10_000, description: 'grants claimed per batch' }),
  OPENAPI_PUBLIC: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: serve /openapi.json and /docs in production too (always served outside production)',
  }),
  LOG_PRETTY: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
    description: 'auto: readable log lines (pino-pretty) when stdout is a terminal outside production, JSON otherwise',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({ minLength: 1, description: 'an http(s) URL of an OTLP/HTTP collector; tracing is off without it' }),
  ),
  OTEL_SERVICE_NAME: Type.String({ default: 'keyfob', minLength: 1, description: "the traces' service name" }),
  OTEL_TRACES_SAMPLE_RATIO: Type.Number({
    default: 1,
    minimum: 0,
    maximum: 1,
    description: 'the share of requests traced, 0 to 1 (a request continuing a sampled browser trace is traced)',
  }),
  OTEL_PROPAGATE_UPSTREAM: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: send `traceparent` to providers and data services (a provider need not learn our trace ids)',
  }),
  SANDBOX_PORT: Integer({ default: 4010, minimum: 0, maximum: 65535, description: 'a TCP port, 0 to 65535' }),
  SANDBOX_ACCESS_TOKEN_TTL_SECONDS: Integer({
    default: 7200,
    minimum: 1,
    maximum: 31_536_000,
    description: 'seconds, 1 or more',
  }),
  SANDBOX_REFRESH_TOKEN_TTL_SECONDS: Integer({
    default: 5_184_000,
    minimum: 1,
    maximum: 315_360_000,
    description: 'seconds, 1 or more',
  }),
  SANDBOX_REFRESH_REUSE_GRACE_SECONDS: Integer({
    default: 60,
    minimum: 0,
    maximum: 86_400,
    description: 'seconds a used refresh token keeps working; 0 is strict reuse detection',
  }),
  SANDBOX_RATE_LIMIT_PER_MINUTE: Integer({
    default: 600,
    minimum: 0,
    maximum: 1_000_000,
    description: 'API calls per vehicle per minute before 429; 0 turns the limit off',
  }),
  SANDBOX_WEBHOOK_INTERVAL_SECONDS: Integer({
    default: 30,
    minimum: 0,
    maximum: 86_400,
    description:
      'seconds between the sandbox Smartcar webhooks of each connected car as it drives or charges; 0 turns them off',
  }),
  SANDBOX_PKCE: Type.Union([Type.Literal('required'), Type.Literal('optional')], {
    default: 'required',
    description: 'required or optional',
  }),
};

export const EnvSchema = Type.Object({ ...CORE_ENV, ...PROVIDER_ENV });

const CoreSchema = Type.Object(CORE_ENV);

/** The core variables' types; each provider reads its own variables from the same validated environment. */
export type Env = Static<typeof CoreSchema> & Record<string, unknown>;
