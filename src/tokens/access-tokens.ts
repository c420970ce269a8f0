/**
 * Fresh access tokens for grants. Rules:
 * - a token expiring within 60 s is refreshed first; both tokens are replaced (rotation) and the new pair is
 *   stored, under the grant's version, before anyone uses it;
 * - one refresh per grant at a time, everywhere: requests of one process share a single flight, and processes
 *   take the grant's refresh lease (GrantRepository.takeRefreshLease). Whoever takes it re-reads the grant in the
 *   same statement and uses a pair another instance just stored instead of presenting a refresh token that was
 *   already used; the others wait for the lease to end (tokens/lease-waits.ts) and read the grant again;
 * - no database connection or transaction is held while the token endpoint answers: the lease is a row value,
 *   taken and ended by single statements. It lasts longer than the token endpoint's own timeout, so a live
 *   holder has always given up before its lease can expire, and a crashed holder's lease expires by itself;
 * - the store is fenced by the lease holder's id and the grant's version: a holder whose lease was taken over
 *   stores nothing and marks nothing, so it can never overwrite a newer pair;
 * - a pair the provider issued is never thrown away for a database outage: storing it is retried (with backoff)
 *   while the lease is ours, so a Postgres failover in the middle of a refresh costs a wait, not the grant. Giving
 *   up before the lease ends keeps the fence: nobody else can have presented the spent refresh token meanwhile;
 * - a refused grant (each adapter's rule: `invalid_grant` at Smartcar, a description naming the refresh token at
 *   High Mobility) marks the grant reauth_required (no further refresh is tried, so no silent loop); a provider
 *   failure (5xx, timeout, network, an unreadable answer) leaves the stored tokens untouched and answers 502/504;
 * - after an upstream 401, the token the provider refused is passed as `staleToken`: refreshed once, unless
 *   another request already replaced it.
 * @see RFC 6749 section 6, RFC 9700 section 4.14
 */
import { randomUUID } from 'node:crypto';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { type OAuthFailure, oauthFailureError } from '../providers/oauth-failure.ts';
import type { ProviderAdapter, TokenSet } from '../providers/provider-adapter.ts';
import type { GrantRepository, GrantTokens } from '../repositories/grants.ts';
import { NO_TRACE, type TracedSpan, type TraceScope } from '../tracing/trace-scope.ts';
import { type LeaseWaits, nextPollMs } from './lease-waits.ts';

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

/** The page that connects this provider's vehicle again. */
export const loginUrlFor = (provider: string) => `/auth/login?provider=${encodeURIComponent(provider)}`;

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

/** Why a request gave up waiting for another instance's refresh: it outlived two of its leases. */
const leaseWaitTimedOut = () =>
  new KeyfobError(ERROR_CODES.UPSTREAM_TIMEOUT, 504, 'the token refresh under way elsewhere did not finish in time');

/** How long before its lease ends a holder stops retrying a store: the lease's clock is the database's. */
const STORE_GIVE_UP_MARGIN_MS = 2_000;

/**
 * Stores a refreshed pair, retrying while the database is out of reach (a failover, a restart) and the lease is
 * still ours. Any other failure, or the lease running out, ends the attempt with the error.
 */
async function untilStoredOrLeaseEnds(
  store: () => Promise<boolean>,
  leaseEndsAt: number,
  log: RefreshLog,
  grantId: string,
): Promise<boolean> {
  let delayMs = 200;
  for (let attempt = 1; ; attempt++) {
    try {
      const stored = await store();
      if (attempt > 1) log.info({ grantId, attempts: attempt }, 'refreshed tokens stored after a database outage');
      return stored;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + delayMs > leaseEndsAt - STORE_GIVE_UP_MARGIN_MS) throw error;
      log.warn({ grantId, attempt }, 'the database is out of reach: storing the refreshed tokens again shortly');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 2_000);
    }
  }
}

export function createAccessTokens(deps: {
  grants: GrantRepository;
  /** The adapter that refreshes a grant of this provider. */
  providerFor: (name: string) => ProviderAdapter;
  /** For work no request asked for (the keep-alive job); requests pass their own logger to `forGrant`. */
  log: RefreshLog;
  /** How long a refresh lease lasts: longer than the token endpoint's timeout, so a live holder never outlives it. */
  leaseMs: number;
  leaseWaits: LeaseWaits;
  /** Told every refresh outcome, for metrics. */
  onOutcome?: (outcome: string) => void;
  /** Told when a grant's stored tokens or status changed, so caches on every instance drop it. */
  onGrantChanged?: (grantId: string) => Promise<void>;
}) {
  const inFlight = new Map<string, Promise<string>>();
  const coolingDown = new Map<string, { until: number; error: KeyfobError }>();

  /** Ends `holder`'s lease with nothing to store, and wakes whoever waits on it (here and on other instances). */
  async function endLease(grantId: string, holder: string) {
    if (await deps.grants.releaseRefreshLease(grantId, holder)) await deps.leaseWaits.announceEnded(grantId);
  }

  /** Calls the token endpoint holding the lease, and stores (or marks) under the lease's fence. */
  async function refreshHolding(
    grant: GrantTokens & { refreshToken: string },
    holder: string,
    log: RefreshLog,
    /** When the lease just taken runs out (this clock): the store may be retried until shortly before. */
    leaseEndsAt: number,
  ): Promise<Outcome> {
    const fence = { version: grant.version, holder };
    const provider = deps.providerFor(grant.provider);
    let tokens: TokenSet;
    try {
      tokens = await provider.refresh(grant.refreshToken);
    } catch (error) {
      const failure = provider.classifyTokenFailure(error);
      if (failure === 'grant_refused' && (await deps.grants.markReauthRequired(grant.id, fence))) {
        return { failure, cause: error, changed: true };
      }
      await endLease(grant.id, holder);
      // Refused after our lease was taken over: the new holder's answer counts, not ours.
      if (failure === 'grant_refused') return afterLostLease(grant.id);
      return { failure, cause: error, changed: false };
    }
    // Some providers answer a refresh without a new refresh token: the old one stays valid then.
    const stored = await untilStoredOrLeaseEnds(
      () =>
        deps.grants.storeRefreshed(grant, holder, {
          ...tokens,
          refreshToken: tokens.refreshToken ?? grant.refreshToken,
        }),
      leaseEndsAt,
      log,
      grant.id,
    );
    if (!stored) return afterLostLease(grant.id);
    log.info({ grantId: grant.id }, 'token refreshed');
    return { token: tokens.accessToken, refreshed: true, changed: true };
  }

  /** Our lease expired and another holder took over: whatever it stored is the grant's state now. */
  async function afterLostLease(grantId: string): Promise<Outcome> {
    const current = await deps.grants.findTokens(grantId);
    if (current?.status === 'active' && current.accessToken && usable(current, undefined)) {
      return { token: current.accessToken, refreshed: false, changed: false };
    }
    return { failure: 'grant_refused', cause: undefined, changed: false };
  }

  /**
   * Refreshes the grant as it is now unless `stillNeeded` says another request or instance has refreshed
   * meanwhile; returns a token or what went wrong. With `wait` false (the keep-alive job), a lease held
   * elsewhere means someone is refreshing it already: nothing to do.
   */
  async function refreshUnderLease(
    grantId: string,
    stillNeeded: (current: GrantTokens) => boolean,
    log: RefreshLog,
    wait: boolean,
  ): Promise<Outcome | 'held_elsewhere'> {
    const giveUpAt = Date.now() + 2 * deps.leaseMs;
    let pollMs: number | undefined;
    for (;;) {
      const holder = randomUUID();
      const takenAt = Date.now();
      const lease = await deps.grants.takeRefreshLease(grantId, holder, deps.leaseMs);
      const current = lease.grant;
      if (current?.status !== 'active' || !current.refreshToken) {
        return { failure: 'grant_refused', cause: undefined, changed: false };
      }
      // Another request or instance refreshed while this one waited: use its pair, never the used refresh token.
      if (!stillNeeded(current) && current.accessToken) {
        if (lease.taken) await endLease(grantId, holder);
        return { token: current.accessToken, refreshed: false, changed: false };
      }
      if (lease.taken) {
        return refreshHolding({ ...current, refreshToken: current.refreshToken }, holder, log, takenAt + deps.leaseMs);
      }
      if (!wait) return 'held_elsewhere';
      if (Date.now() >= giveUpAt) throw leaseWaitTimedOut();
      pollMs = nextPollMs(pollMs);
      await deps.leaseWaits.wait(grantId, Math.min(pollMs, lease.leaseLeftMs + 20));
    }
  }

  async function refreshOnce(
    grantId: string,
    stillNeeded: (current: GrantTokens) => boolean,
    log: RefreshLog,
    wait = true,
  ): Promise<Outcome | 'held_elsewhere'> {
    const outcome = await refreshUnderLease(grantId, stillNeeded, log, wait);
    if (outcome === 'held_elsewhere') return outcome;
    // Announced after the store: an instance that evicts and reloads at once reads the new row.
    if (outcome.changed) await deps.onGrantChanged?.(grantId);
    deps.onOutcome?.(
      'token' in outcome ? (outcome.refreshed ? 'refreshed' : 'reused_other_instance') : outcome.failure,
    );
    if (!('token' in outcome)) log.warn({ grantId, failure: outcome.failure }, 'token refresh failed');
    return outcome;
  }

  async function refresh(
    grantId: string,
    provider: string,
    staleToken: string | undefined,
    log: RefreshLog,
    scope: TraceScope,
  ): Promise<string> {
    const span = scope.child('token.refresh', { 'keyfob.provider': provider });
    try {
      const token = await refreshReporting(grantId, provider, staleToken, log, span);
      span.end();
      return token;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  /** A refresh, its outcome told to the span (never a token): refreshed, another instance's, or the failure. */
  async function refreshReporting(
    grantId: string,
    provider: string,
    staleToken: string | undefined,
    log: RefreshLog,
    span: TracedSpan,
  ): Promise<string> {
    const outcome = await refreshOnce(grantId, (current) => !usable(current, staleToken), log);
    span.set({
      'keyfob.refresh.outcome':
        outcome === 'held_elsewhere'
          ? 'held_elsewhere'
          : 'token' in outcome
            ? outcome.refreshed
              ? 'refreshed'
              : 'reused_other_instance'
            : outcome.failure,
    });
    // Requests wait for a lease held elsewhere, so this is only for the type: never a silent success.
    if (outcome === 'held_elsewhere') throw leaseWaitTimedOut();
    if ('token' in outcome) return outcome.token;
    if (outcome.failure === 'grant_refused') throw reauthRequired(loginUrlFor(provider));
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
    options: { staleToken?: string; current?: GrantTokens; log?: RefreshLog; trace?: TraceScope } = {},
  ): Promise<string> {
    const grant = options.current ?? (await deps.grants.findTokens(grantId));
    if (!grant) throw reauthRequired('/auth/login');
    if (grant.status !== 'active' || !grant.accessToken) throw reauthRequired(loginUrlFor(grant.provider));
    if (usable(grant, options.staleToken)) return grant.accessToken;
    const cooling = coolingDown.get(grantId);
    if (cooling && cooling.until > Date.now()) throw cooling.error;
    coolingDown.delete(grantId);
    let flight = inFlight.get(grantId);
    if (!flight) {
      flight = refresh(
        grantId,
        grant.provider,
        options.staleToken,
        options.log ?? deps.log,
        options.trace ?? NO_TRACE,
      ).finally(() => inFlight.delete(grantId));
      inFlight.set(grantId, flight);
    }
    return flight;
  }

  /**
   * The keep-alive job's refresh: refreshes the grant if its refresh token still expires before `before` once the
   * lease is held (the same one-refresh rule as requests), and shares an in-process flight with them. A grant
   * whose lease is held elsewhere is being refreshed already: the job moves on rather than wait.
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
      false,
    );
    if (outcome === 'held_elsewhere') return 'not_needed';
    if ('token' in outcome) return outcome.refreshed ? 'refreshed' : 'not_needed';
    return outcome.failure;
  }

  return { forGrant, keepAlive };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
