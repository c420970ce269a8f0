/**
 * `POST /auth/logout` (with `X-CSRF: 1`): destroys the session in the store and clears the cookie. The stores
 * refuse to re-create a destroyed session, so a request in flight during the logout cannot bring it back.
 * The vehicles stay connected: signing out of the dashboard is not disconnecting a car.
 */
import type { FastifyInstance } from 'fastify';
import { sessionCookieName } from '../../plugins/external/session.ts';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';

export function logoutRoute(app: FastifyInstance) {
  app.post(
    '/logout',
    {
      preValidation: requireCsrfHeader,
      schema: { response: { 200: { type: 'object', properties: { signedOut: { type: 'boolean' } } } } },
    },
    async (request, reply) => {
      const userId = request.session.userId ?? null;
      await request.session.destroy();
      reply.clearCookie(sessionCookieName(app.config.secureCookies), { path: '/' });
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
