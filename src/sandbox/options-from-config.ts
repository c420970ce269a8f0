/**
 * The sandbox Keyfob starts beside itself: Keyfob's own clients at each simulated provider (UUIDv4 ids and secrets,
 * as Smartcar and High Mobility issue them), with the lifetimes and strictness configured. When Keyfob holds a
 * High Mobility assertion key, its public half is registered with the simulator under the configured key id.
 */
import { createPublicKey } from 'node:crypto';
import type { Config } from '../config/load-config.ts';
import type { SandboxOptions } from './build-sandbox.ts';

export function sandboxOptionsFrom(config: Config): SandboxOptions & { port: number } {
  const redirectUris = [`${config.publicUrl}/auth/callback`];
  const { privateKeyPem, privateKeyId } = config.highmobility;
  return {
    port: config.sandbox.port,
    clients: [{ clientId: config.sandbox.clientId, secrets: [config.sandbox.clientSecret], redirectUris }],
    highmobility: {
      clients: [
        {
          clientId: config.sandbox.highmobility.clientId,
          secrets: [config.sandbox.highmobility.clientSecret],
          appId: config.sandbox.highmobility.appId,
          redirectUris,
          keys:
            privateKeyPem && privateKeyId
              ? [
                  {
                    id: privateKeyId,
                    publicKeyPem: createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString(),
                  },
                ]
              : [],
        },
      ],
    },
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
