/**
 * `/api/*`: the dashboard's data. Every call, whatever its method, passes these checks in order: the per-IP rate
 * limit (429, at the root), an `Origin` other than Keyfob's (403), a signed-in session (401), the `X-CSRF: 1`
 * header (403), the per-session rate limit (429). They run as the request arrives, before its body is read or
 * validated: the origin check before @fastify/session reads the session, the rest in one hook after it. Answers are
 * `Cache-Control: no-store` (plugins/external/helmet.ts). The vehicle routes then check ownership, grant status
 * and scope (vehicles.ts).
 */
import type { FastifyInstance } from 'fastify';
import { perSessionRateLimit } from '../../security/rate-limits.ts';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';
import { requireSameOrigin } from '../../security/require-same-origin.ts';
import { requireSession } from '../../security/require-session.ts';
import vehicleRoutes from './vehicles.ts';

export default async function apiRoutes(app: FastifyInstance) {
  const sameOrigin = requireSameOrigin(app.config.publicUrl);
  const perSession = perSessionRateLimit(app, 'api', app.config.rateLimits.api.perSession);
  app.addHook('onRequest', (request, _reply, done) => {
    sameOrigin(request);
    done();
  });
  // @fastify/session reads the session here, and writes a changed one as the request answers.
  await app.useSessions(app);
  app.addHook('onRequest', async (request) => {
    await app.sessions.enforceTimeouts(request);
    requireSession(request);
    requireCsrfHeader(request);
    perSession(request);
  });
  await app.register(vehicleRoutes, { prefix: '/vehicles' });
}
