/**
 * Application tokens (OAuth client credentials): Smartcar v3 API Authentication, High Mobility fleet access.
 * Rules:
 * - a token is cached per token endpoint, client id and scope set (sorted): a token is never handed out for
 *   another client or scope, however requests race (the class of bug behind CVE-2025-26620);
 * - renewed before it expires (the last 60 s or 10% of its life, whichever is longer);
 * - one request to the token endpoint at a time per key: a single flight in the process, and across instances a
 *   Postgres advisory lock held for the fetch, after which the others read the stored token;
 * - the shared copy lives in `app_tokens`, encrypted by the vault and bound to its cache key.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { TokenVault } from '../vault/token-vault.ts';

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

export function createAppTokens(deps: {
  db: Database;
  vault: TokenVault;
  fetchToken: (request: AppTokenRequest) => Promise<FetchedAppToken>;
  lockAcrossInstances: boolean;
  lockTimeoutMs: number;
}) {
  const memory = new Map<string, { token: string; renewAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const slot = (key: string) => ({ table: 'app_tokens', column: 'token_enc', rowId: key });

  function renewAt(expiresAt: number, lifetimeMs: number): number {
    return expiresAt - Math.max(MIN_MARGIN_MS, lifetimeMs * 0.1);
  }

  async function loadOrFetch(key: string, request: AppTokenRequest): Promise<string> {
    const work = async (client: Pick<Database, 'appToken'>) => {
      const stored = await client.appToken.findUnique({ where: { cacheKey: key } });
      if (stored) {
        const expiresAt = stored.expiresAt.getTime();
        const renew = renewAt(expiresAt, expiresAt - stored.updatedAt.getTime());
        if (renew > Date.now()) {
          const token = deps.vault.decrypt(stored.tokenEnc, slot(key));
          memory.set(key, { token, renewAt: renew });
          return token;
        }
      }
      const fetched = await deps.fetchToken(request);
      const lifetimeMs = fetched.expiresInSeconds * 1000;
      const expiresAt = new Date(Date.now() + lifetimeMs);
      const tokenEnc = deps.vault.encrypt(fetched.accessToken, slot(key));
      await client.appToken.upsert({
        where: { cacheKey: key },
        create: { cacheKey: key, tokenEnc, expiresAt },
        update: { tokenEnc, expiresAt },
      });
      memory.set(key, { token: fetched.accessToken, renewAt: renewAt(expiresAt.getTime(), lifetimeMs) });
      return fetched.accessToken;
    };
    if (!deps.lockAcrossInstances) return work(deps.db);
    // Advisory lock keys are 64-bit integers: derive one from the cache key.
    const lockId = createHash('sha256').update(key).digest().readBigInt64BE(0);
    return deps.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${lockId})`;
        return work(tx);
      },
      { timeout: deps.lockTimeoutMs, maxWait: deps.lockTimeoutMs },
    );
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
    if (stored && deps.vault.decrypt(stored.tokenEnc, slot(key)) === token) {
      await deps.db.appToken.deleteMany({ where: { cacheKey: key, tokenEnc: stored.tokenEnc } });
    }
  }

  return { get, invalidate };
}

export type AppTokens = ReturnType<typeof createAppTokens>;
