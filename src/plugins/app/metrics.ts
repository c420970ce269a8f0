/**
 * Decorates `fastify.metrics` and times every request by its route template. The template, never the URL:
 * a URL holds vehicle ids, and one series per URL would also grow without bound.
 */
import fp from 'fastify-plugin';
import { createMetrics, type KeyfobMetrics } from '../../metrics/keyfob-metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: KeyfobMetrics;
  }
}

export default fp(
  async (app) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    // A callback hook: nothing here waits, and a promise per request is measurable on the hot path.
    app.addHook('onResponse', (request, reply, done) => {
      metrics.requests.observe(
        { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  },
  { name: 'metrics' },
);
