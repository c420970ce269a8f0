/** The sandbox Keyfob starts beside itself: one client, Keyfob's, with the lifetimes and strictness configured. */
import type { Config } from '../config/load-config.ts';
import type { SandboxOptions } from './build-sandbox.ts';

export function sandboxOptionsFrom(config: Config): SandboxOptions & { port: number } {
  return {
    port: config.sandbox.port,
    clients: [
      {
        clientId: config.sandbox.clientId,
        secrets: [config.sandbox.clientSecret],
        redirectUris: [`${config.publicUrl}/auth/callback`],
      },
    ],
    settings: {
      accessTokenTtlSeconds: config.sandbox.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.sandbox.refreshTokenTtlSeconds,
      refreshReuseGraceSeconds: config.sandbox.refreshReuseGraceSeconds,
      rateLimitPerMinute: config.sandbox.rateLimitPerMinute,
      pkce: config.sandbox.pkce,
    },
    logLevel: config.logLevel === 'silent' ? 'silent' : 'warn',
  };
}
