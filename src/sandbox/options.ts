/** What a sandbox instance is configured with; every lifetime and strictness is adjustable for tests. */
export interface SandboxClient {
  clientId: string;
  /** Up to three secrets at once, as Smartcar allows, so a secret can rotate without downtime. */
  secrets: string[];
  redirectUris: string[];
}

export interface SandboxSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Seconds a used refresh token keeps working; 0 is strict: a reuse revokes the whole grant. */
  refreshReuseGraceSeconds: number;
  /** API calls per vehicle per minute before 429; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** `required` refuses an authorization request without S256 PKCE; `optional` accepts one without. */
  pkce: 'required' | 'optional';
  appTokenTtlSeconds: number;
  codeTtlSeconds: number;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  accessTokenTtlSeconds: 7200,
  refreshTokenTtlSeconds: 60 * 24 * 3600,
  refreshReuseGraceSeconds: 60,
  rateLimitPerMinute: 600,
  pkce: 'required',
  appTokenTtlSeconds: 3600,
  codeTtlSeconds: 600,
};

export const MAX_CLIENT_SECRETS = 3;
