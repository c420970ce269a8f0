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
  /** Smartcar's webhook retry delays (25, 50, 100 s) as a percentage: tests shorten them. */
  webhookRetryPercent: number;
  /** Seconds between webhooks of every connected vehicle's state as it drives or charges; 0: only on changes. */
  webhookIntervalSeconds: number;
  /** Whether VERIFY is signed (UNCONFIRMED at Smartcar): `unsigned`, the stricter side for a receiver, by default. */
  webhookVerify: 'unsigned' | 'signed';
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  accessTokenTtlSeconds: 7200,
  refreshTokenTtlSeconds: 60 * 24 * 3600,
  refreshReuseGraceSeconds: 60,
  rateLimitPerMinute: 600,
  pkce: 'required',
  appTokenTtlSeconds: 3600,
  codeTtlSeconds: 600,
  webhookRetryPercent: 100,
  webhookIntervalSeconds: 0,
  webhookVerify: 'unsigned',
};

export const MAX_CLIENT_SECRETS = 3;
