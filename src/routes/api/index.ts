/**
 * `/api/*`: the dashboard's data. Every call, whatever its method, passes these checks in order: the per-IP rate
 * limit (429, at the root), an `Origin` other than Keyfob's (403), a signed-in session (401), the `X-CSRF: 1`
 * header (403), the per-session rate limit (429). Answers are `Cache-Control: no-store` (plugins/external/helmet.ts).
 * The vehicle routes then check ownership, grant status and scope (vehicles.ts).
 */
import type { FastifyInstance } from 'fastify';
import { perSessionRateLimit } from '../../security/rate-limits.ts';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';
import { requireSameOrigin } from '../../security/require-same-origin.ts';
import { requireSession } from '../../security/require-session.ts';
import vehicleRoutes from './vehicles.ts';

export default async function apiRoutes(app: FastifyInstance) {
  app.addHook('onRequest', requireSameOrigin(app.config.publicUrl));
  app.addHook('preValidation', requireSession);
  app.addHook('preValidation', requireCsrfHeader);
  app.addHook('preValidation', perSessionRateLimit(app, 'api', app.config.rateLimits.api.perSession));
  await app.register(vehicleRoutes, { prefix: '/vehicles' });
}
