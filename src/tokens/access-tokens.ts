/**
 * Fresh access tokens for grants. Rules:
 * - a token expiring within 60 s is refreshed first; both tokens are replaced (rotation) and the new pair is
 *   stored, under the grant's version, before anyone uses it;
 * - one refresh per grant at a time, everywhere: requests of one process share a single flight, and processes
 *   queue on the grant's row lock (see GrantRepository.withRowLock); whoever gets the lock re-reads the grant
 *   and uses a pair another instance just stored instead of presenting a refresh token that was already used;
 * - `invalid_grant` marks the grant reauth_required (no further refresh is tried, so no silent loop); a provider
 *   failure (5xx, timeout, network) leaves the stored tokens untouched and answers 502/504;
 * - after an upstream 401, the token the provider refused is passed as `staleToken`: refreshed once, unless
 *   another request already replaced it.
 * @see RFC 6749 section 6, RFC 9700 section 4.14
 */
import * as oauth from 'openid-client';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { classifyOAuthFailure, type OAuthFailure, oauthFailureError } from '../providers/oauth-failure.ts';
import type { ProviderAdapter, TokenSet } from '../providers/provider-adapter.ts';
import type { DatabaseClient } from '../repositories/database-client.ts';
import type { GrantRepository, GrantTokens } from '../repositories/grants.ts';

const REFRESH_MARGIN_MS = 60_000;
/**
 * After a provider failure, requests for that grant fail fast for this long instead of each trying again: a
 * storm of requests must not become a storm of refreshes against a provider that is already failing.
 */
export const REFRESH_FAILURE_COOLDOWN_MS = 2_000;

export interface RefreshLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export function reauthRequired(loginUrl: string) {
  return new KeyfobError(ERROR_CODES.REAUTH_REQUIRED, 401, 'this vehicle needs to be connected again', {
    details: { loginUrl },
  });
}

/** Whether a stored grant's access token can be used as it is. */
function usable(grant: GrantTokens, staleToken: string | undefined): grant is GrantTokens & { accessToken: string } {
  if (grant.status !== 'active' || !grant.accessToken) return false;
  if (staleToken !== undefined && staleToken === grant.accessToken) return false;
  return grant.accessExpiresAt !== null && grant.accessExpiresAt.getTime() - Date.now() >= REFRESH_MARGIN_MS;
}

/** `changed`: the grant row was written (new pair, or marked reauth_required), so caches must drop it. */
type Outcome =
  | { token: string; refreshed: boolean; changed: boolean }
  | { failure: OAuthFailure; cause: unknown; changed: boolean };

/** What a keep-alive refresh of one grant came to. */
export type KeepAliveOutcome = 'refreshed' | 'not_needed' | OAuthFailure;

export function createAccessTokens(deps: {
  grants: GrantRepository;
  provider: ProviderAdapter;
  /** For work no request asked for (the keep-alive job); requests pass their own logger to `forGrant`. */
  log: RefreshLog;
  loginUrl: string;
  /** Queue on the grant's row lock across instances (false only for the single-process embedded database). */
  lockAcrossInstances: boolean;
  /** Longest a refresh may hold or wait for the lock: beyond the token endpoint's own timeout. */
  lockTimeoutMs: number;
  /** Told every refresh outcome, for metrics. */
  onOutcome?: (outcome: string) => void;
  /** Told when a grant's stored tokens or status changed, so caches on every instance drop it. */
  onGrantChanged?: (grantId: string) => Promise<void>;
}) {
  const inFlight = new Map<string, Promise<string>>();
  const coolingDown = new Map<string, { until: number; error: KeyfobError }>();

  /**
   * Refreshes with the grant as it is now (re-read under the lock) unless `stillNeeded` says another request or
   * instance has refreshed meanwhile; returns a token or what went wrong.
   */
  async function refreshLocked(
    grantId: string,
    stillNeeded: (current: GrantTokens) => boolean,
    log: RefreshLog,
    client?: DatabaseClient,
  ): Promise<Outcome> {
    const current = await deps.grants.findTokens(grantId, client);
    if (current?.status !== 'active' || !current.refreshToken) {
      return { failure: 'grant_refused', cause: undefined, changed: false };
    }
    // Another request or instance refreshed while this one waited: use its pair, never the used refresh token.
    if (!stillNeeded(current) && current.accessToken) {
      return { token: current.accessToken, refreshed: false, changed: false };
    }
    let tokens: TokenSet;
    try {
      tokens = deps.provider.tokenSetFrom(await oauth.refreshTokenGrant(deps.provider.oauth, current.refreshToken));
    } catch (error) {
      const failure = classifyOAuthFailure(error);
      if (failure === 'grant_refused') await deps.grants.markReauthRequired(grantId, client);
      return { failure, cause: error, changed: failure === 'grant_refused' };
    }
    // Some providers answer a refresh without a new refresh token: the old one stays valid then.
    const stored = await deps.grants.replaceTokens(
      grantId,
      current.version,
      { ...tokens, refreshToken: tokens.refreshToken ?? current.refreshToken },
      client,
    );
    if (!stored) return { failure: 'grant_refused', cause: undefined, changed: false };
    log.info({ grantId }, 'token refreshed');
    return { token: tokens.accessToken, refreshed: true, changed: true };
  }

  async function refreshOnce(
    grantId: string,
    stillNeeded: (current: GrantTokens) => boolean,
    log: RefreshLog,
  ): Promise<Outcome> {
    const outcome = deps.lockAcrossInstances
      ? await deps.grants.withRowLock(grantId, deps.lockTimeoutMs, (client) =>
          refreshLocked(grantId, stillNeeded, log, client),
        )
      : await refreshLocked(grantId, stillNeeded, log);
    // Announced only now, after the lock's transaction committed: an instance that evicts and reloads at once
    // must read the new row, not the one still being replaced.
    if (outcome.changed) await deps.onGrantChanged?.(grantId);
    deps.onOutcome?.(
      'token' in outcome ? (outcome.refreshed ? 'refreshed' : 'reused_other_instance') : outcome.failure,
    );
    if (!('token' in outcome)) log.warn({ grantId, failure: outcome.failure }, 'token refresh failed');
    return outcome;
  }

  async function refresh(grantId: string, staleToken: string | undefined, log: RefreshLog): Promise<string> {
    const outcome = await refreshOnce(grantId, (current) => !usable(current, staleToken), log);
    if ('token' in outcome) return outcome.token;
    if (outcome.failure === 'grant_refused') throw reauthRequired(deps.loginUrl);
    const error = oauthFailureError(outcome.failure, outcome.cause);
    coolingDown.set(grantId, { until: Date.now() + REFRESH_FAILURE_COOLDOWN_MS, error });
    throw error;
  }

  /**
   * A usable access token for the grant; `staleToken` is the one the provider just answered 401 to, `current` the
   * grant as the caller just read it (saves a query on the proxy's hot path), `log` the request's logger: a refresh
   * logs under the id of the request that started it (requests that join its flight share it).
   */
  async function forGrant(
    grantId: string,
    options: { staleToken?: string; current?: GrantTokens; log?: RefreshLog } = {},
  ): Promise<string> {
    const grant = options.current ?? (await deps.grants.findTokens(grantId));
    if (grant?.status !== 'active' || !grant.accessToken) throw reauthRequired(deps.loginUrl);
    if (usable(grant, options.staleToken)) return grant.accessToken;
    const cooling = coolingDown.get(grantId);
    if (cooling && cooling.until > Date.now()) throw cooling.error;
    coolingDown.delete(grantId);
    let flight = inFlight.get(grantId);
    if (!flight) {
      flight = refresh(grantId, options.staleToken, options.log ?? deps.log).finally(() => inFlight.delete(grantId));
      inFlight.set(grantId, flight);
    }
    return flight;
  }

  /**
   * The keep-alive job's refresh: refreshes the grant if its refresh token still expires before `before` once the
   * lock is held (the same one-refresh rule as requests), and shares an in-process flight with them.
   */
  async function keepAlive(grantId: string, before: Date): Promise<KeepAliveOutcome> {
    const joined = inFlight.get(grantId);
    if (joined) {
      await joined.catch(() => undefined);
      return 'not_needed';
    }
    const outcome = await refreshOnce(
      grantId,
      (current) => current.refreshExpiresAt === null || current.refreshExpiresAt.getTime() < before.getTime(),
      deps.log,
    );
    if ('token' in outcome) return outcome.refreshed ? 'refreshed' : 'not_needed';
    return outcome.failure;
  }

  return { forGrant, keepAlive };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
