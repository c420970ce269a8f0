/** What the High Mobility simulator is configured with; every lifetime and strictness is adjustable for tests. */
export interface HighMobilitySandboxClient {
  clientId: string;
  secrets: string[];
  /** The console's app id (24 hex digits), required on the consent page. */
  appId: string;
  redirectUris: string[];
  /** Public keys (PEM, SPKI) for client assertions, by the id the console gives each. */
  keys: Array<{ id: string; publicKeyPem: string }>;
}

export interface HighMobilitySandboxSettings {
  accessTokenTtlSeconds: number;
  /** `strict`: a used refresh token is refused at once and revokes the consent; `grace`: it works a while longer. */
  refreshReuse: 'strict' | 'grace';
  refreshReuseGraceSeconds: number;
  /** How long a BMW or MINI consent stays `pending` before the owner "confirms" at the carmaker. */
  pendingApprovalSeconds: number;
  /** How long a clearance request (or a removal) takes to be decided. */
  clearanceSeconds: number;
  fleetTokenTtlSeconds: number;
  /** How far an assertion's `iat` may be from now. */
  assertionSkewSeconds: number;
  codeTtlSeconds: number;
}

export const DEFAULT_HIGHMOBILITY_SETTINGS: HighMobilitySandboxSettings = {
  accessTokenTtlSeconds: 3600,
  refreshReuse: 'strict',
  refreshReuseGraceSeconds: 60,
  pendingApprovalSeconds: 30,
  clearanceSeconds: 5,
  fleetTokenTtlSeconds: 300,
  assertionSkewSeconds: 30,
  codeTtlSeconds: 600,
};

/** Brands that confirm a consent at the carmaker first (High Mobility answers `status: pending` meanwhile). */
export const PENDING_BRANDS = new Set(['bmw', 'mini']);
