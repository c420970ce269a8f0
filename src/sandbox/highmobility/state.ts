/**
 * Everything the High Mobility simulator remembers, in memory: consent requests, codes, consents (one car each),
 * consumer tokens with rotation and reuse detection, used assertion `jti`s, and fleet clearances. Time is the
 * sandbox's clock, so tests can move it on.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SandboxClock } from '../state/clock.ts';
import { TokenRequestError } from './hm-error.ts';
import { type HighMobilitySandboxClient, type HighMobilitySandboxSettings, PENDING_BRANDS } from './options.ts';

export interface ConsentRequest {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string | undefined;
  expiresAt: number;
}

export interface Consent {
  id: string;
  clientId: string;
  accountId: string;
  vehicleId: string;
  vin: string;
  brand: string;
  /** Until when the carmaker has not confirmed (null: approved). */
  pendingUntil: number | null;
  revoked: boolean;
  scope: string;
}

interface Code {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  consentId: string;
  expiresAt: number;
}

export interface Clearance {
  vin: string;
  brand: string;
  tags: Record<string, string>;
  status: string;
  changelog: Array<{ timestamp: string; status: string }>;
  /** When the current transitional status moves on, and to what. */
  next?: { at: number; status: string };
}

/** Every data permission the simulated app was set up with in the console. */
export const CONSENT_SCOPE = [
  'diagnostics.get.odometer',
  'diagnostics.get.fuel_level',
  'diagnostics.get.estimated_range',
  'vehicle_location.get.coordinates',
  'charging.get.battery_level',
  'charging.get.estimated_range',
  'charging.get.status',
  'charging.get.plugged_in',
  'doors.get.locks_state',
  'doors.get.locks',
].join(' ');

export class HighMobilityState {
  readonly requests = new Map<string, ConsentRequest>();
  readonly codes = new Map<string, Code>();
  readonly consents = new Map<string, Consent>();
  /** Consents the carmaker ended (control.ts): data calls with their tokens answer 401 "Consent is removed by OEM". */
  readonly removedAtOem = new Set<string>();
  readonly accessTokens = new Map<string, { consentId: string; expiresAt: number }>();
  readonly refreshTokens = new Map<string, { consentId: string; usedAt: number | null }>();
  readonly usedJtis = new Map<string, number>();
  readonly clearances = new Map<string, Clearance>();
  /** Property failures a test asked for: `${vin} ${capability}.${property}` -> reason. */
  readonly failures = new Map<string, string>();
  /** VINs whose car is asleep (408 until cleared). */
  readonly asleep = new Set<string>();
  /** Every token and code ever issued, for the tests that search Keyfob's logs and answers for them. */
  readonly #issued = new Set<string>();

  remember(secret: string): string {
    this.#issued.add(secret);
    return secret;
  }

  issuedSecrets(): string[] {
    return [...this.#issued];
  }

  constructor(
    readonly clients: HighMobilitySandboxClient[],
    public settings: HighMobilitySandboxSettings,
    readonly clock: SandboxClock,
  ) {}

  client(clientId: string | undefined): HighMobilitySandboxClient | undefined {
    return this.clients.find((client) => client.clientId === clientId);
  }

  startConsent(request: Omit<ConsentRequest, 'id' | 'expiresAt'>): ConsentRequest {
    const started = { ...request, id: randomUUID(), expiresAt: this.clock.now() + 30 * 60_000 };
    this.requests.set(started.id, started);
    return started;
  }

  /** The person approved one car: a consent and a single-use code for it. */
  approve(request: ConsentRequest, car: { accountId: string; vehicleId: string; vin: string; brand: string }): string {
    this.requests.delete(request.id);
    const consent: Consent = {
      id: randomUUID(),
      clientId: request.clientId,
      ...car,
      pendingUntil: PENDING_BRANDS.has(car.brand)
        ? this.clock.now() + this.settings.pendingApprovalSeconds * 1000
        : null,
      revoked: false,
      scope: CONSENT_SCOPE,
    };
    this.consents.set(consent.id, consent);
    const code = this.remember(randomUUID());
    this.codes.set(code, {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      consentId: consent.id,
      expiresAt: this.clock.now() + this.settings.codeTtlSeconds * 1000,
    });
    return code;
  }

  isPending(consent: Consent): boolean {
    if (consent.pendingUntil !== null && consent.pendingUntil <= this.clock.now()) consent.pendingUntil = null;
    return consent.pendingUntil !== null;
  }

  private issue(consent: Consent) {
    const accessToken = this.remember(randomUUID());
    const refreshToken = this.remember(randomUUID());
    const ttl = this.settings.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, { consentId: consent.id, expiresAt: this.clock.now() + ttl * 1000 });
    this.refreshTokens.set(refreshToken, { consentId: consent.id, usedAt: null });
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: ttl,
      token_type: 'bearer',
      scope: consent.scope,
      status: this.isPending(consent) ? 'pending' : 'approved',
      authorization_id: consent.id,
    };
  }

  exchangeCode(input: { clientId: string; code: string; redirectUri: string; codeVerifier: string | undefined }) {
    const code = this.codes.get(input.code);
    // Single use: the first presentation consumes the code, whatever comes of it.
    this.codes.delete(input.code);
    if (!code || code.expiresAt <= this.clock.now() || code.clientId !== input.clientId) {
      throw new TokenRequestError('code is invalid');
    }
    if (code.redirectUri !== input.redirectUri) throw new TokenRequestError('redirect_uri does not match');
    if (code.codeChallenge !== undefined) {
      const computed = input.codeVerifier
        ? createHash('sha256').update(input.codeVerifier).digest('base64url')
        : undefined;
      if (computed !== code.codeChallenge) throw new TokenRequestError('code_verifier is invalid');
    }
    const consent = this.consents.get(code.consentId) as Consent;
    return this.issue(consent);
  }

  /**
   * Rotation: every refresh issues a new pair. A used refresh token presented again is refused; in the strict mode
   * that revokes the whole consent (RFC 9700 reuse detection), in the grace mode it works for a short while.
   */
  refresh(clientId: string, refreshToken: string) {
    const found = this.refreshTokens.get(refreshToken);
    const consent = found ? this.consents.get(found.consentId) : undefined;
    if (!found || !consent || consent.clientId !== clientId || consent.revoked) {
      throw new TokenRequestError('refresh_token is invalid');
    }
    if (found.usedAt !== null) {
      const graceMs = this.settings.refreshReuseGraceSeconds * 1000;
      if (this.settings.refreshReuse === 'strict' || this.clock.now() - found.usedAt > graceMs) {
        if (this.settings.refreshReuse === 'strict') this.revokeConsent(consent.id);
        throw new TokenRequestError('refresh_token is invalid');
      }
    } else found.usedAt = this.clock.now();
    return this.issue(consent);
  }

  revokeConsent(consentId: string) {
    const consent = this.consents.get(consentId);
    if (consent) consent.revoked = true;
    for (const [token, entry] of this.accessTokens) if (entry.consentId === consentId) this.accessTokens.delete(token);
    for (const [token, entry] of this.refreshTokens)
      if (entry.consentId === consentId) this.refreshTokens.delete(token);
  }

  /** RFC 7009: revoking either token of a consent ends the consent; an unknown token is not an error. */
  revoke(clientId: string, token: string) {
    const entry = this.refreshTokens.get(token) ?? this.accessTokens.get(token);
    const consent = entry ? this.consents.get(entry.consentId) : undefined;
    if (consent && consent.clientId === clientId) this.revokeConsent(consent.id);
  }

  /** The live consent behind a consumer access token, or undefined. */
  consentOf(accessToken: string): Consent | undefined {
    const entry = this.accessTokens.get(accessToken);
    if (!entry || entry.expiresAt <= this.clock.now()) return undefined;
    const consent = this.consents.get(entry.consentId);
    return consent && !consent.revoked ? consent : undefined;
  }

  /** Remembers an assertion's `jti` until it could no longer be accepted anyway; false if it was seen. */
  useJti(jti: string): boolean {
    const now = this.clock.now();
    for (const [seen, until] of this.usedJtis) if (until <= now) this.usedJtis.delete(seen);
    if (this.usedJtis.has(jti)) return false;
    this.usedJtis.set(jti, now + 2 * this.settings.assertionSkewSeconds * 1000 + 60_000);
    return true;
  }

  /** A clearance moved on to now (pending -> approved or rejected, revoking -> revoked, canceling -> canceled). */
  clearance(clientId: string, vin: string): Clearance | undefined {
    const found = this.clearances.get(`${clientId}|${vin}`);
    if (found?.next && found.next.at <= this.clock.now()) {
      found.status = found.next.status;
      found.changelog.push({ timestamp: new Date(found.next.at).toISOString(), status: found.status });
      found.next = undefined;
    }
    return found;
  }

  clearancesOf(clientId: string): Clearance[] {
    return [...this.clearances.keys()]
      .filter((key) => key.startsWith(`${clientId}|`))
      .map((key) => this.clearance(clientId, key.slice(clientId.length + 1)) as Clearance);
  }

  setClearance(clientId: string, clearance: Clearance) {
    this.clearances.set(`${clientId}|${clearance.vin}`, clearance);
  }
}
