/** Decorates `fastify.bus` (cache invalidation across instances) and `fastify.proxyLookups`. */
import fp from 'fastify-plugin';
import { createInvalidationBus, type InvalidationBus } from '../../cache/invalidation-bus.ts';
import { createProxyLookupCache } from '../../cache/proxy-lookup-cache.ts';

declare module 'fastify' {
  interface FastifyInstance {
    bus: InvalidationBus;
    proxyLookups: ReturnType<typeof createProxyLookupCache>;
  }
}

export default fp(
  async (app) => {
    const bus = await createInvalidationBus(app.redis, app.log);
    app.decorate('bus', bus);
    app.decorate('proxyLookups', createProxyLookupCache(bus));
    app.addHook('onClose', async () => bus.close());
  },
  { name: 'cache', dependencies: ['redis'] },
);
