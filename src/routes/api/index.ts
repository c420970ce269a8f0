/**
 * `/api/*`: the dashboard's data. Every call, whatever its method, passes these checks in order:
 * a signed-in session (401), the `X-CSRF: 1` header (403); answers are `Cache-Control: no-store`.
 * The vehicle routes then check ownership, grant status and scope (vehicles.ts).
 */
import type { FastifyInstance } from 'fastify';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';
import { requireSession } from '../../security/require-session.ts';
import vehicleRoutes from './vehicles.ts';

export default async function apiRoutes(app: FastifyInstance) {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.addHook('preHandler', requireSession);
  app.addHook('preHandler', requireCsrfHeader);
  await app.register(vehicleRoutes, { prefix: '/vehicles' });
}
