/**
 * The machine clients' authorization server's signing keys: its `jwks_uri` found once by metadata discovery
 * (RFC 8414 first, then OpenID Connect Discovery, both through oauth4webapi, which checks the document's `issuer`
 * is the one configured), or `MACHINE_JWKS_URL` as set. The key set is jose's remote JWKS: cached for ten minutes,
 * and fetched again for a `kid` it does not know at most once a minute (its cooldown), so a flood of tokens naming
 * made-up key ids costs the authorization server one request a minute, not one per token.
 * Discovery runs on first use and again after a failure: an authorization server that is down does not stop
 * Keyfob from starting or from serving people.
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import * as oauth from 'oauth4webapi';
import type { MachineSettings } from '../config/access-settings.ts';

export const JWKS_REFETCH_COOLDOWN_MS = 60_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;

async function discoverJwksUri(issuer: URL, timeoutMs: number): Promise<URL> {
  const insecure = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  let lastError: unknown;
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, {
        algorithm,
        signal: AbortSignal.timeout(timeoutMs),
        ...insecure,
      });
      const metadata = await oauth.processDiscoveryResponse(issuer, response);
      if (!metadata.jwks_uri) throw new Error('the authorization server metadata names no jwks_uri');
      return new URL(metadata.jwks_uri);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export function authorizationServerKeys(
  settings: MachineSettings,
  options: { timeoutMs: number; onFetch: () => void },
): JWTVerifyGetKey {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const build = async () => {
    const jwksUri = settings.jwksUrl
      ? new URL(settings.jwksUrl)
      : await discoverJwksUri(new URL(settings.issuer), options.timeoutMs);
    return createRemoteJWKSet(jwksUri, {
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: options.timeoutMs,
      [customFetch]: (url, init) => {
        options.onFetch();
        return fetch(url, init);
      },
    });
  };
  return async (header, token) => {
    keySet ??= build().catch((error) => {
      keySet = undefined;
      throw error;
    });
    return (await keySet)(header, token);
  };
}
