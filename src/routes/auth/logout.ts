/**
 * `POST /auth/logout` (with `X-CSRF: 1`): destroys the session in the store and clears the cookie. The stores
 * refuse to re-create a destroyed session (sessions/fastify-session-store.ts), so a request in flight during the
 * logout cannot bring it back. Signed in at an OpenID Connect identity provider, the sign-in record goes too and
 * the answer names the provider's end-session URL (`id_token_hint`, `post_logout_redirect_uri`, `state`), which
 * the dashboard follows (RP-initiated logout).
 * The vehicles stay connected: signing out of the dashboard is not disconnecting a car.
 * @see OpenID Connect RP-Initiated Logout 1.0
 */
import type { FastifyInstance } from 'fastify';
import * as oauth from 'openid-client';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';

export function logoutRoute(app: FastifyInstance) {
  app.post(
    '/logout',
    {
      preValidation: async (request) => requireCsrfHeader(request),
      schema: {
        summary: '(`X-CSRF: 1`) ends the session; with an identity provider, its end-session URL to follow',
        response: {
          200: {
            type: 'object',
            properties: { signedOut: { type: 'boolean' }, endSessionUrl: { type: 'string' } },
          },
        },
      },
    },
    async (request, reply) => {
      const userId = request.session.userId ?? null;
      const oidcSessionId = request.session.oidcSessionId;
      await request.session.destroy();
      reply.clearCookie(app.sessions.cookieName, app.sessions.cookieAttributes);
      let endSessionUrl: string | undefined;
      if (oidcSessionId && app.identity) {
        const idTokenHint = await app.identity.sessions.end(oidcSessionId);
        try {
          endSessionUrl = idTokenHint
            ? await app.identity.client.endSessionUrl({ idTokenHint, state: oauth.randomState() })
            : undefined;
        } catch (error) {
          // Signed out here either way; the identity provider's own session is then the user's to end.
          request.log.warn({ err: (error as Error).message }, 'identity provider unreachable at logout');
        }
      }
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
      return endSessionUrl ? { signedOut: true, endSessionUrl } : { signedOut: true };
    },
  );
}
