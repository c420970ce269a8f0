/**
 * Every vehicle provider Keyfob speaks, one line each: the name `PROVIDERS` and `/auth/login?provider=` use, and
 * how its adapter is built from the configuration. Adding a provider is its folder here, its simulator in
 * `src/sandbox/<name>/` (listed in src/sandbox/registry.ts), its settings, and one line below.
 */
import type { Config } from '../config/load-config.ts';
import type { ProviderName } from '../config/provider-settings.ts';
import { createHighMobilityAdapter } from './highmobility/highmobility-adapter.ts';
import type { ProviderAdapter } from './provider-adapter.ts';
import { createSmartcarAdapter } from './smartcar/smartcar-adapter.ts';

export const PROVIDER_REGISTRY: Record<ProviderName, (config: Config) => ProviderAdapter> = {
  smartcar: (config) => createSmartcarAdapter({ ...config.smartcar, timeoutMs: config.upstreamTimeoutMs }),
  highmobility: (config) => createHighMobilityAdapter({ ...config.highmobility, timeoutMs: config.upstreamTimeoutMs }),
};

/** The adapters of the enabled providers, by name, in the configured order. */
export function enabledProviders(config: Config): Map<string, ProviderAdapter> {
  return new Map(config.providers.map((name) => [name, PROVIDER_REGISTRY[name](config)]));
}
