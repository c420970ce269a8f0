/** Decorates `fastify.providers` (the enabled providers' adapters, by name) and `fastify.providerFor(name)`. */
import fp from 'fastify-plugin';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { ProviderAdapter } from '../../providers/provider-adapter.ts';
import { enabledProviders } from '../../providers/registry.ts';

declare module 'fastify' {
  interface FastifyInstance {
    providers: ReadonlyMap<string, ProviderAdapter>;
    /** The adapter of a stored row's provider; a provider that is no longer enabled is a clear 503, not a crash. */
    providerFor(name: string): ProviderAdapter;
  }
}

export default fp(
  async (app) => {
    const providers = enabledProviders(app.config);
    app.decorate('providers', providers);
    app.decorate('providerFor', (name: string) => {
      const adapter = providers.get(name);
      if (!adapter) {
        throw new KeyfobError(
          ERROR_CODES.PROVIDER_DISABLED,
          503,
          `the provider ${name} is not enabled on this Keyfob (PROVIDERS)`,
          { expose: true },
        );
      }
      return adapter;
    });
  },
  { name: 'providers', dependencies: ['config'] },
);
