/**
 * Who may call `/api` with which scopes: the scopes signed-in people hold (`USER_SCOPES`, or the identity
 * provider's `OIDC_SCOPES_CLAIM` within them), and the machine clients' authorization server (`MACHINE_*`). With
 * `MACHINE_ISSUER` unset, Keyfob accepts no bearer tokens at all.
 */
import { ALL_SCOPES, type KeyfobScope, parseScopes } from '../access/scope-table.ts';
import { ASYMMETRIC_ALGORITHMS } from '../security/asymmetric-algorithms.ts';
import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';

export interface MachineSettings {
  issuer: string;
  /** Where the signing keys are; undefined: the `jwks_uri` of the issuer's metadata (RFC 8414, then OIDC discovery). */
  jwksUrl: string | undefined;
  audience: string;
  algorithms: string[];
  /** RFC 9068's `typ: at+jwt` required on every token. */
  requireTyp: boolean;
  /** A token living longer than its route's scope allows is refused (scope-table.ts). */
  enforceTokenLifetime: boolean;
}

export interface AccessSettings {
  /** What a signed-in person may do (the cap on the identity provider's claim, when there is one). */
  userScopes: KeyfobScope[];
  /** The ID token claim holding a person's scopes (a dotted path like `realm_access.roles`); undefined: USER_SCOPES. */
  oidcScopesClaim: string | undefined;
  machine: MachineSettings | undefined;
}

function httpUrl(value: string, variable: string, problems: ConfigProblem[]) {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    problems.push({ variable, expected: 'an https URL (http only for a local test server)' });
  }
}

function machineSettings(env: Env, problems: ConfigProblem[]): MachineSettings | undefined {
  const issuer = env.MACHINE_ISSUER;
  if (issuer === undefined) {
    for (const variable of ['MACHINE_AUDIENCE', 'MACHINE_JWKS_URL'] as const) {
      if (env[variable] !== undefined) problems.push({ variable, expected: 'set with MACHINE_ISSUER, or not at all' });
    }
    return undefined;
  }
  httpUrl(issuer, 'MACHINE_ISSUER', problems);
  if (env.MACHINE_JWKS_URL !== undefined) httpUrl(env.MACHINE_JWKS_URL, 'MACHINE_JWKS_URL', problems);
  if (env.MACHINE_AUDIENCE === undefined) {
    problems.push({
      variable: 'MACHINE_AUDIENCE',
      expected: "required with MACHINE_ISSUER: Keyfob's resource identifier",
    });
  }
  const algorithms = env.MACHINE_ALGORITHMS.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const refused = algorithms.filter((name) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(name));
  if (refused.length > 0 || algorithms.length === 0) {
    problems.push({
      variable: 'MACHINE_ALGORITHMS',
      expected: `a comma-separated list of ${ASYMMETRIC_ALGORITHMS.join(', ')} (never none or an HMAC; got ${refused.join(', ') || 'none'})`,
    });
  }
  return {
    issuer,
    jwksUrl: env.MACHINE_JWKS_URL,
    audience: env.MACHINE_AUDIENCE ?? '',
    algorithms,
    requireTyp: env.MACHINE_REQUIRE_TYP === 'true',
    enforceTokenLifetime: env.MACHINE_ENFORCE_TOKEN_LIFETIME === 'true',
  };
}

export function accessSettings(env: Env, problems: ConfigProblem[]): AccessSettings {
  let userScopes: KeyfobScope[] = [...ALL_SCOPES];
  if (env.USER_SCOPES !== undefined) {
    const parsed = parseScopes(env.USER_SCOPES);
    if (parsed.unknown.length > 0) {
      problems.push({
        variable: 'USER_SCOPES',
        expected: `scopes of the table (${ALL_SCOPES.join(', ')}); unknown: ${parsed.unknown.join(', ')}`,
      });
    }
    userScopes = parsed.scopes;
  }
  if (env.OIDC_SCOPES_CLAIM !== undefined && env.OIDC_ISSUER === undefined) {
    problems.push({ variable: 'OIDC_SCOPES_CLAIM', expected: 'set with OIDC_ISSUER, or not at all' });
  }
  return { userScopes, oidcScopesClaim: env.OIDC_SCOPES_CLAIM, machine: machineSettings(env, problems) };
}
