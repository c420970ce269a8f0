/**
 * The OpenID Connect identity provider's settings (`OIDC_*`). With `OIDC_ISSUER` unset, there is none and Keyfob
 * signs people in with their first provider account, as before. The private key for `private_key_jwt` is read here
 * (PEM text, or the path of a PEM file) and kept in memory only, never echoed in a config error.
 */
import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';
import { readPrivateKeyPem } from './private-key.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  clientSecret: string | undefined;
  privateKeyPem: string | undefined;
  scopes: string;
  postLogoutRedirectUri: string;
  userinfo: boolean;
}

export function oidcSettings(env: Env, publicUrl: string, problems: ConfigProblem[]): OidcSettings | undefined {
  const issuer = env.OIDC_ISSUER;
  if (issuer === undefined) {
    for (const variable of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_PRIVATE_KEY'] as const) {
      if (env[variable] !== undefined) problems.push({ variable, expected: 'set with OIDC_ISSUER, or not at all' });
    }
    return undefined;
  }
  try {
    const url = new URL(issuer);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    problems.push({ variable: 'OIDC_ISSUER', expected: 'an https URL (http only for a local test provider)' });
  }
  if (env.OIDC_CLIENT_ID === undefined)
    problems.push({ variable: 'OIDC_CLIENT_ID', expected: 'required with OIDC_ISSUER' });
  const clientAuth = env.OIDC_CLIENT_AUTH;
  let privateKeyPem: string | undefined;
  if (clientAuth === 'private_key_jwt') {
    if (env.OIDC_PRIVATE_KEY === undefined) {
      problems.push({ variable: 'OIDC_PRIVATE_KEY', expected: 'required with OIDC_CLIENT_AUTH=private_key_jwt' });
    } else privateKeyPem = readPrivateKeyPem(env.OIDC_PRIVATE_KEY, 'OIDC_PRIVATE_KEY', problems);
  } else if (env.OIDC_CLIENT_SECRET === undefined) {
    problems.push({ variable: 'OIDC_CLIENT_SECRET', expected: `required with OIDC_CLIENT_AUTH=${clientAuth}` });
  }
  const postLogout = env.OIDC_POST_LOGOUT_REDIRECT_URI ?? `${publicUrl}/`;
  return {
    issuer,
    clientId: env.OIDC_CLIENT_ID ?? '',
    clientAuth,
    clientSecret: env.OIDC_CLIENT_SECRET,
    privateKeyPem,
    scopes: env.OIDC_SCOPES,
    postLogoutRedirectUri: postLogout,
    userinfo: env.OIDC_USERINFO === 'true',
  };
}
