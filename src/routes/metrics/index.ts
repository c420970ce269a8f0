/** `GET /metrics`: Prometheus text format. Counters carry outcomes only, never a user, vehicle or token. */
import type { FastifyInstance } from 'fastify';

export default async function metricsRoutes(app: FastifyInstance) {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (expose to the monitoring network only)',
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (_request, reply) => reply.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics()),
  );
}
