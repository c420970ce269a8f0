/**
 * `GET /auth/login?returnTo=/path`: starts the authorization code flow with PKCE (S256) and a one-time `state`
 * bound to this browser's session, then redirects to the provider's consent page.
 */
import type { FastifyInstance } from 'fastify';
import * as oauth from 'openid-client';
import { addPendingLogin } from '../../connect/pending-logins.ts';
import { safeReturnTo } from '../../security/safe-return-to.ts';

export function loginRoute(app: FastifyInstance) {
  app.get(
    '/login',
    {
      schema: {
        querystring: { type: 'object', properties: { returnTo: { type: 'string', maxLength: 2048 } } },
        response: { 302: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const codeVerifier = oauth.randomPKCECodeVerifier();
      const state = oauth.randomState();
      addPendingLogin(request.session, {
        state,
        codeVerifier,
        returnTo: safeReturnTo((request.query as { returnTo?: string }).returnTo),
        startedAt: Date.now(),
      });
      const url = oauth.buildAuthorizationUrl(app.provider.oauth, {
        redirect_uri: `${app.config.publicUrl}/auth/callback`,
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        ...app.provider.authorizationParameters(),
      });
      return reply.redirect(url.href, 302);
    },
  );
}
