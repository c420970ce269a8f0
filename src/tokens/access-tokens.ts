/**
 * Fresh access tokens for grants. Rules:
 * - a token expiring within 60 s is refreshed first; both tokens are replaced (rotation) and the new pair is
 *   stored, under the grant's version, before anyone uses it;
 * - concurrent requests for one grant in this process share one refresh (a single flight);
 * - `invalid_grant` marks the grant reauth_required; a provider failure (5xx, timeout, network) leaves the stored
 *   tokens untouched and answers 502/504;
 * - after an upstream 401, `forceRefresh` refreshes once, unless another request already replaced the token.
 * @see RFC 6749 section 6, RFC 9700 section 4.14
 */
import * as oauth from 'openid-client';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { classifyOAuthFailure, oauthFailureError } from '../providers/oauth-failure.ts';
import type { ProviderAdapter } from '../providers/provider-adapter.ts';
import type { GrantRepository, GrantTokens } from '../repositories/grants.ts';

const REFRESH_MARGIN_MS = 60_000;

export interface RefreshLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export function reauthRequired(loginUrl: string) {
  return new KeyfobError(ERROR_CODES.REAUTH_REQUIRED, 401, 'this vehicle needs to be connected again', {
    details: { loginUrl },
  });
}

export function createAccessTokens(deps: {
  grants: GrantRepository;
  provider: ProviderAdapter;
  log: RefreshLog;
  loginUrl: string;
}) {
  const inFlight = new Map<string, Promise<string>>();

  async function refresh(grant: GrantTokens): Promise<string> {
    if (!grant.refreshToken) throw reauthRequired(deps.loginUrl);
    let tokens: ReturnType<ProviderAdapter['tokenSetFrom']>;
    try {
      tokens = deps.provider.tokenSetFrom(await oauth.refreshTokenGrant(deps.provider.oauth, grant.refreshToken));
    } catch (error) {
      const failure = classifyOAuthFailure(error);
      deps.log.warn({ grantId: grant.id, failure }, 'token refresh failed');
      if (failure === 'grant_refused') {
        await deps.grants.markReauthRequired(grant.id);
        throw reauthRequired(deps.loginUrl);
      }
      throw oauthFailureError(failure, error);
    }
    // Some providers answer a refresh without a new refresh token: the old one stays valid then.
    const stored = await deps.grants.replaceTokens(grant.id, grant.version, {
      ...tokens,
      refreshToken: tokens.refreshToken ?? grant.refreshToken,
    });
    if (!stored) {
      // Someone else changed the grant meanwhile: theirs is the pair of record.
      const current = await deps.grants.findTokens(grant.id);
      if (current?.status !== 'active' || !current.accessToken) throw reauthRequired(deps.loginUrl);
      return current.accessToken;
    }
    deps.log.info({ grantId: grant.id }, 'token refreshed');
    return tokens.accessToken;
  }

  /** A usable access token for the grant; `staleToken` is the one the provider just answered 401 to. */
  async function forGrant(grantId: string, options: { staleToken?: string } = {}): Promise<string> {
    const grant = await deps.grants.findTokens(grantId);
    if (grant?.status !== 'active' || !grant.accessToken) throw reauthRequired(deps.loginUrl);
    const expiring = !grant.accessExpiresAt || grant.accessExpiresAt.getTime() - Date.now() < REFRESH_MARGIN_MS;
    const rejected = options.staleToken !== undefined && options.staleToken === grant.accessToken;
    if (!expiring && !rejected) return grant.accessToken;
    let flight = inFlight.get(grantId);
    if (!flight) {
      flight = refresh(grant).finally(() => inFlight.delete(grantId));
      inFlight.set(grantId, flight);
    }
    return flight;
  }

  return { forGrant };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
