/**
 * `POST /auth/logout` (with `X-CSRF: 1`): destroys the session in the store and clears the cookie. The stores
 * refuse to re-create a destroyed session (sessions/fastify-session-store.ts), so a request in flight during the
 * logout cannot bring it back.
 * The vehicles stay connected: signing out of the dashboard is not disconnecting a car.
 */
import type { FastifyInstance } from 'fastify';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';

export function logoutRoute(app: FastifyInstance) {
  app.post(
    '/logout',
    {
      preValidation: async (request) => requireCsrfHeader(request),
      schema: { response: { 200: { type: 'object', properties: { signedOut: { type: 'boolean' } } } } },
    },
    async (request, reply) => {
      const userId = request.session.userId ?? null;
      await request.session.destroy();
      reply.clearCookie(app.sessions.cookieName, app.sessions.cookieAttributes);
      if (userId) {
        await app.repos.audit.record({
          userId,
          vehicleId: null,
          clientId: 'dashboard',
          action: 'logout',
          endpoint: '/auth/logout',
          method: 'POST',
          status: 200,
          outcome: 'signed_out',
          requestId: request.id,
        });
      }
      return { signedOut: true };
    },
  );
}
