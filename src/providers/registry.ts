/**
 * Every vehicle provider Keyfob speaks, one line each: the name `PROVIDERS` and `/auth/login?provider=` use, and
 * the provider's module (its settings and adapter, from its folder). Adding a provider is its folder here, its
 * simulator in `src/sandbox/<name>/` with its line in src/sandbox/registry.ts, and one line below.
 */
import { HIGHMOBILITY } from './highmobility/index.ts';
import type { ProviderAdapter } from './provider-adapter.ts';
import type { ProviderModule } from './provider-module.ts';
import { SMARTCAR } from './smartcar/index.ts';

export const PROVIDER_REGISTRY = {
  smartcar: SMARTCAR,
  highmobility: HIGHMOBILITY,
} as const;

export type ProviderName = keyof typeof PROVIDER_REGISTRY;
export const PROVIDER_NAMES = Object.keys(PROVIDER_REGISTRY) as ProviderName[];

/** Each provider's settings, as the configuration holds them (`config.smartcar`, `config.highmobility` ...). */
export type ProviderSettingsMap = {
  [K in ProviderName]: (typeof PROVIDER_REGISTRY)[K] extends ProviderModule<infer S> ? S : never;
};

/** The adapters of the enabled providers, by name, in the configured order. */
export function enabledProviders(
  config: ProviderSettingsMap & { providers: ProviderName[]; upstreamTimeoutMs: number },
): Map<string, ProviderAdapter> {
  return new Map(
    config.providers.map((name) => {
      const module = PROVIDER_REGISTRY[name] as ProviderModule<unknown>;
      return [name, module.createAdapter(config[name], config.upstreamTimeoutMs)];
    }),
  );
}
