/**
 * Application tokens (OAuth client credentials): Smartcar v3 API Authentication, High Mobility fleet access.
 * Rules:
 * - a token is cached per token endpoint, client id and scope set (sorted): a token is never handed out for
 *   another client or scope, however requests race (the class of bug behind CVE-2025-26620);
 * - renewed before it expires (the last 60 s or 10% of its life, whichever is longer);
 * - one request to the token endpoint at a time per key: a single flight in the process, and across instances a
 *   lease on the key's row (taken by one statement, lasting longer than the token endpoint's timeout), after
 *   which the others read the stored token. No connection or transaction is held while the endpoint answers;
 * - the shared copy lives in `app_tokens`, encrypted by the vault and bound to its cache key.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import { type LeaseWaits, nextPollMs } from './lease-waits.ts';

export interface AppTokenRequest {
  tokenEndpoint: string;
  clientId: string;
  scopes: string[];
}

export interface FetchedAppToken {
  accessToken: string;
  expiresInSeconds: number;
}

const MIN_MARGIN_MS = 60_000;

/** The request with its scope set in one canonical order: what is cached and what is asked for are the same. */
function canonical(request: AppTokenRequest): AppTokenRequest {
  return { ...request, scopes: [...new Set(request.scopes)].sort() };
}

export function appTokenCacheKey(request: AppTokenRequest): string {
  return `${request.tokenEndpoint}|${request.clientId}|${canonical(request).scopes.join(' ')}`;
}

interface StoredAppToken {
  tokenEnc: string | null;
  expiresAt: Date | null;
  updatedAt: Date;
  /** What is left of a fetch lease, on the database's clock (0 when none is held). */
  leaseLeftMs: number;
}

const STORED_COLUMNS = Prisma.sql`token_enc AS "tokenEnc", expires_at AS "expiresAt", updated_at AS "updatedAt",
  GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::float8 AS "leaseLeftMs"`;

export function createAppTokens(deps: {
  db: Database;
  vault: TokenVault;
  fetchToken: (request: AppTokenRequest) => Promise<FetchedAppToken>;
  /** How long a fetch lease lasts: longer than the token endpoint's timeout. */
  leaseMs: number;
  leaseWaits: LeaseWaits;
}) {
  const memory = new Map<string, { token: string; renewAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const slot = (key: string) => ({ table: 'app_tokens', column: 'token_enc', rowId: key });
  const leaseKey = (key: string) => `app-token:${key}`;

  function renewAt(expiresAt: number, lifetimeMs: number): number {
    return expiresAt - Math.max(MIN_MARGIN_MS, lifetimeMs * 0.1);
  }

  /** The stored token if it is not due for renewal yet (and remembered in memory), else undefined. */
  function freshFrom(key: string, stored: StoredAppToken | undefined): string | undefined {
    if (!stored?.tokenEnc || !stored.expiresAt) return undefined;
    const expiresAt = stored.expiresAt.getTime();
    const renew = renewAt(expiresAt, expiresAt - stored.updatedAt.getTime());
    if (renew <= Date.now()) return undefined;
    const token = deps.vault.decrypt(stored.tokenEnc, slot(key));
    memory.set(key, { token, renewAt: renew });
    return token;
  }

  const read = async (key: string) =>
    (
      await deps.db.$queryRaw<StoredAppToken[]>`
        SELECT ${STORED_COLUMNS} FROM app_tokens WHERE cache_key = ${key}`
    )[0];

  /** Takes the key's fetch lease on the database's clock if nobody holds a live one; the row as it is, if taken. */
  const takeLease = async (key: string, holder: string) =>
    (
      await deps.db.$queryRaw<StoredAppToken[]>`
        INSERT INTO app_tokens (cache_key, lease_holder, lease_until, updated_at)
        VALUES (${key}, ${holder}::uuid, now() + make_interval(secs => ${deps.leaseMs / 1000}), now())
        ON CONFLICT (cache_key) DO UPDATE SET lease_holder = EXCLUDED.lease_holder, lease_until = EXCLUDED.lease_until
          WHERE app_tokens.lease_until IS NULL OR app_tokens.lease_until < now()
        RETURNING ${STORED_COLUMNS}`
    )[0];

  /**
   * Ends `holder`'s lease, storing a fetched token with it if there is one, and wakes whoever waits on it. Fenced
   * by the holder: after a takeover the newer holder's token stays.
   */
  async function endLease(key: string, holder: string, token?: { tokenEnc: string; expiresAt: Date }) {
    await deps.db.appToken.updateMany({
      where: { cacheKey: key, leaseHolder: holder },
      data: { ...token, leaseHolder: null, leaseUntil: null },
    });
    await deps.leaseWaits.announceEnded(leaseKey(key));
  }

  async function fetchHolding(key: string, request: AppTokenRequest, holder: string): Promise<string> {
    let fetched: FetchedAppToken;
    try {
      fetched = await deps.fetchToken(request);
    } catch (error) {
      await endLease(key, holder);
      throw error;
    }
    const lifetimeMs = fetched.expiresInSeconds * 1000;
    const expiresAt = new Date(Date.now() + lifetimeMs);
    // Should another holder have taken over, its token stays stored; ours is valid all the same (client
    // credentials tokens do not rotate), so this request still uses it.
    await endLease(key, holder, { tokenEnc: deps.vault.encrypt(fetched.accessToken, slot(key)), expiresAt });
    memory.set(key, { token: fetched.accessToken, renewAt: renewAt(expiresAt.getTime(), lifetimeMs) });
    return fetched.accessToken;
  }

  async function loadOrFetch(key: string, request: AppTokenRequest): Promise<string> {
    const giveUpAt = Date.now() + 2 * deps.leaseMs;
    let pollMs: number | undefined;
    for (;;) {
      const stored = await read(key);
      const fresh = freshFrom(key, stored);
      if (fresh) return fresh;
      const holder = randomUUID();
      const taken = await takeLease(key, holder);
      if (taken) {
        // Another instance may have stored a token between the read and the lease.
        const storedMeanwhile = freshFrom(key, taken);
        if (storedMeanwhile) {
          await endLease(key, holder);
          return storedMeanwhile;
        }
        return fetchHolding(key, request, holder);
      }
      if (Date.now() >= giveUpAt) {
        throw new KeyfobError(
          ERROR_CODES.UPSTREAM_TIMEOUT,
          504,
          'the application token fetch under way did not finish',
        );
      }
      pollMs = nextPollMs(pollMs);
      // The lease as read before the attempt; a null row (a first fetch just begun elsewhere) waits one poll.
      await deps.leaseWaits.wait(leaseKey(key), Math.min(pollMs, (stored?.leaseLeftMs ?? pollMs) + 20));
    }
  }

  /** A valid application token for exactly this endpoint, client and scope set. */
  async function get(request: AppTokenRequest): Promise<string> {
    const key = appTokenCacheKey(request);
    const cached = memory.get(key);
    if (cached && cached.renewAt > Date.now()) return cached.token;
    let flight = inFlight.get(key);
    if (!flight) {
      flight = loadOrFetch(key, canonical(request)).finally(() => inFlight.delete(key));
      inFlight.set(key, flight);
    }
    return flight;
  }

  /** Forgets a token the API refused (401), so the next call fetches a new one. */
  async function invalidate(request: AppTokenRequest, token: string): Promise<void> {
    const key = appTokenCacheKey(request);
    if (memory.get(key)?.token === token) memory.delete(key);
    const stored = await deps.db.appToken.findUnique({ where: { cacheKey: key } });
    if (stored?.tokenEnc && deps.vault.decrypt(stored.tokenEnc, slot(key)) === token) {
      await deps.db.appToken.updateMany({
        where: { cacheKey: key, tokenEnc: stored.tokenEnc },
        data: { tokenEnc: null, expiresAt: null },
      });
    }
  }

  return { get, invalidate };
}

export type AppTokens = ReturnType<typeof createAppTokens>;
