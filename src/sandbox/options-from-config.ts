/**
 * The sandbox Keyfob starts beside itself: Keyfob's own client at each provider the sandbox stands in for (from
 * that provider's configured settings, which hold the sandbox credentials then), with the lifetimes and strictness
 * configured. Each simulator says how its client is registered (src/sandbox/registry.ts).
 */
import type { Config } from '../config/load-config.ts';
import type { SandboxOptions } from './build-sandbox.ts';
import { SIMULATORS, sandboxedSimulators } from './registry.ts';

export function sandboxOptionsFrom(config: Config): SandboxOptions & { port: number } {
  const redirectUris = [`${config.publicUrl}/auth/callback`];
  const options: SandboxOptions & { port: number } = {
    port: config.sandbox.port,
    clients: [],
    simulators: {},
    settings: {
      accessTokenTtlSeconds: config.sandbox.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.sandbox.refreshTokenTtlSeconds,
      refreshReuseGraceSeconds: config.sandbox.refreshReuseGraceSeconds,
      rateLimitPerMinute: config.sandbox.rateLimitPerMinute,
      pkce: config.sandbox.pkce,
      webhookIntervalSeconds: config.sandbox.webhookIntervalSeconds,
    },
    logLevel: config.logLevel === 'silent' ? 'silent' : 'warn',
  };
  for (const name of sandboxedSimulators(config)) {
    const own = SIMULATORS[name].optionsFor(config, redirectUris);
    options.clients.push(...(own.clients ?? []));
    if (own.smartcarWebhook) options.smartcarWebhook = own.smartcarWebhook;
    Object.assign(options.simulators ?? {}, own.simulators);
  }
  return options;
}
