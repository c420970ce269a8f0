/**
 * Authorization codes, grants and tokens of the sandbox, with Smartcar's rules:
 * - a code lives 10 minutes and is single use; a replayed code is refused and revokes what it issued;
 * - `redirect_uri` must equal the one of the authorization request, `code_verifier` must match its S256 challenge;
 * - every refresh rotates both tokens; a used refresh token works for a grace period (60 s by default), and with a
 *   grace of 0 any reuse revokes the whole grant (RFC 9700 section 4.14.2 reuse detection);
 * - access tokens live 2 hours and refresh tokens 60 days by default; both look like UUIDs.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SandboxSettings } from '../options.ts';
import type { SandboxClock } from '../state/clock.ts';
import { OAuthError } from '../state/oauth-error.ts';

export interface SandboxGrant {
  id: string;
  clientId: string;
  accountId: string;
  vehicleIds: Set<string>;
  scopes: string[];
  revoked: boolean;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  accountId: string;
  vehicleIds: string[];
  scopes: string[];
  codeChallenge: string | undefined;
  expiresAt: number;
  usedAt?: number;
  issuedGrantId?: string;
}

interface TokenRecord {
  grantId: string;
  expiresAt: number;
}

interface RefreshRecord extends TokenRecord {
  usedAt?: number;
}

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/** An application token of the client credentials grant (no user, no refresh token). */
export interface AppTokenRecord {
  clientId: string;
  scope: string | undefined;
  expiresAt: number;
}

export class TokenStore {
  readonly grants = new Map<string, SandboxGrant>();
  #codes = new Map<string, CodeRecord>();
  #accessTokens = new Map<string, TokenRecord>();
  #refreshTokens = new Map<string, RefreshRecord>();
  #appTokens = new Map<string, AppTokenRecord>();
  #verifiersSeen = new Set<string>();
  #refreshCounts = new Map<string, number>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly settings: () => SandboxSettings,
  ) {}

  issueCode(record: Omit<CodeRecord, 'expiresAt'>): string {
    const code = randomUUID();
    this.#codes.set(code, { ...record, expiresAt: this.clock.now() + this.settings().codeTtlSeconds * 1000 });
    return code;
  }

  /** @see RFC 6749 section 4.1.3, RFC 7636 section 4.6 */
  exchangeCode(params: {
    clientId: string;
    code: string;
    redirectUri: string;
    codeVerifier: string | undefined;
  }): TokenPair {
    const record = this.#codes.get(params.code);
    if (!record || record.clientId !== params.clientId) {
      throw new OAuthError('invalid_grant', 'Invalid or expired authorization code.');
    }
    if (record.usedAt !== undefined) {
      // A replayed code means it leaked: revoke everything it issued (RFC 6749 section 4.1.2).
      if (record.issuedGrantId) this.revokeGrant(record.issuedGrantId);
      throw new OAuthError('invalid_grant', 'Authorization code has already been used.');
    }
    record.usedAt = this.clock.now();
    if (record.expiresAt <= this.clock.now()) {
      throw new OAuthError('invalid_grant', 'Invalid or expired authorization code.');
    }
    if (record.redirectUri !== params.redirectUri) {
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the one of the authorization request.');
    }
    if (params.codeVerifier) this.#verifiersSeen.add(params.codeVerifier);
    if (record.codeChallenge !== undefined) {
      if (!params.codeVerifier) throw new OAuthError('invalid_grant', 'code_verifier is required.');
      const challenge = createHash('sha256').update(params.codeVerifier).digest('base64url');
      if (challenge !== record.codeChallenge) throw new OAuthError('invalid_grant', 'code_verifier does not match.');
    } else if (params.codeVerifier) {
      throw new OAuthError('invalid_grant', 'code_verifier sent for a request that had no code_challenge.');
    }
    const grant: SandboxGrant = {
      id: randomUUID(),
      clientId: record.clientId,
      accountId: record.accountId,
      vehicleIds: new Set(record.vehicleIds),
      scopes: record.scopes,
      revoked: false,
    };
    this.grants.set(grant.id, grant);
    record.issuedGrantId = grant.id;
    return this.#issuePair(grant.id);
  }

  /** @see RFC 6749 section 6; RFC 9700 section 4.14.2 (refresh token rotation and reuse) */
  refresh(params: { clientId: string; refreshToken: string }): TokenPair {
    const now = this.clock.now();
    const record = this.#refreshTokens.get(params.refreshToken);
    const grant = record ? this.grants.get(record.grantId) : undefined;
    if (!record || !grant || grant.clientId !== params.clientId) {
      throw new OAuthError('invalid_grant', 'Invalid or expired refresh token.');
    }
    if (grant.revoked) throw new OAuthError('invalid_grant', 'The grant of this refresh token was revoked.');
    if (record.expiresAt <= now) throw new OAuthError('invalid_grant', 'Invalid or expired refresh token.');
    if (record.usedAt !== undefined) {
      const grace = this.settings().refreshReuseGraceSeconds;
      if (grace === 0) {
        this.revokeGrant(grant.id);
        throw new OAuthError('invalid_grant', 'Refresh token reuse detected: the grant is revoked.');
      }
      if (now - record.usedAt > grace * 1000) {
        throw new OAuthError('invalid_grant', 'Refresh token has already been used.');
      }
    } else {
      record.usedAt = now;
    }
    this.#refreshCounts.set(grant.id, (this.#refreshCounts.get(grant.id) ?? 0) + 1);
    return this.#issuePair(grant.id);
  }

  /** The grant an access token belongs to, or why it is refused. */
  authenticate(accessToken: string): SandboxGrant | 'invalid' | 'expired' {
    const record = this.#accessTokens.get(accessToken);
    const grant = record ? this.grants.get(record.grantId) : undefined;
    if (!record || !grant || grant.revoked) return 'invalid';
    return record.expiresAt <= this.clock.now() ? 'expired' : grant;
  }

  /** Grants for load tests, as if `count` people had connected (no vehicles): their ids and token pairs. */
  seedGrants(clientId: string, accountId: string, count: number): Array<{ grantId: string } & TokenPair> {
    const seeded: Array<{ grantId: string } & TokenPair> = [];
    for (let i = 0; i < count; i++) {
      const grant: SandboxGrant = {
        id: randomUUID(),
        clientId,
        accountId,
        vehicleIds: new Set(),
        scopes: [],
        revoked: false,
      };
      this.grants.set(grant.id, grant);
      seeded.push({ grantId: grant.id, ...this.#issuePair(grant.id) });
    }
    return seeded;
  }

  /** How many grants were refreshed, and how many more than once (a keep-alive job must do each once). */
  refreshSummary(): { grantsRefreshed: number; refreshedMoreThanOnce: number } {
    let refreshedMoreThanOnce = 0;
    for (const count of this.#refreshCounts.values()) if (count > 1) refreshedMoreThanOnce += 1;
    return { grantsRefreshed: this.#refreshCounts.size, refreshedMoreThanOnce };
  }

  revokeGrant(grantId: string): void {
    const grant = this.grants.get(grantId);
    if (grant) grant.revoked = true;
  }

  issueAppToken(clientId: string, scope: string | undefined) {
    const ttl = this.settings().appTokenTtlSeconds;
    const token = randomUUID();
    this.#appTokens.set(token, { clientId, scope, expiresAt: this.clock.now() + ttl * 1000 });
    return { access_token: token, token_type: 'Bearer' as const, expires_in: ttl, ...(scope ? { scope } : {}) };
  }

  authenticateApp(token: string): AppTokenRecord | 'invalid' | 'expired' {
    const record = this.#appTokens.get(token);
    if (!record) return 'invalid';
    return record.expiresAt <= this.clock.now() ? 'expired' : record;
  }

  /** Every token value the sandbox has issued: the leak scanners of the tests look for these. */
  issuedSecrets(): string[] {
    return [
      ...this.#accessTokens.keys(),
      ...this.#refreshTokens.keys(),
      ...this.#appTokens.keys(),
      ...this.#codes.keys(),
      ...this.#verifiersSeen,
    ];
  }

  #issuePair(grantId: string): TokenPair {
    const now = this.clock.now();
    const { accessTokenTtlSeconds, refreshTokenTtlSeconds } = this.settings();
    const accessToken = randomUUID();
    const refreshToken = randomUUID();
    this.#accessTokens.set(accessToken, { grantId, expiresAt: now + accessTokenTtlSeconds * 1000 });
    this.#refreshTokens.set(refreshToken, { grantId, expiresAt: now + refreshTokenTtlSeconds * 1000 });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTokenTtlSeconds,
      refresh_token: refreshToken,
    };
  }
}
