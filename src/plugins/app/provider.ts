/** Decorates `fastify.provider`: the adapter of the configured vehicle provider. */
import fp from 'fastify-plugin';
import type { ProviderAdapter } from '../../providers/provider-adapter.ts';
import { createSmartcarAdapter } from '../../providers/smartcar/smartcar-adapter.ts';

declare module 'fastify' {
  interface FastifyInstance {
    provider: ProviderAdapter;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    // PROVIDER=sandbox and PROVIDER=smartcar both speak Smartcar; only the hosts differ.
    app.decorate(
      'provider',
      createSmartcarAdapter({ providerName: config.provider, ...config.smartcar, timeoutMs: config.upstreamTimeoutMs }),
    );
  },
  { name: 'provider', dependencies: ['config'] },
);
