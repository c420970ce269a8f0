/**
 * `GET /auth/login?provider=<name>&returnTo=/path`: starts the authorization code flow with PKCE (S256) and a
 * one-time `state` bound to this browser's session, then redirects to the provider's consent page. With one
 * provider enabled `provider` may be left out; with several, its absence is a 400 naming the choices. The
 * provider is remembered with the pending login: the callback never takes it from its own query.
 * With an OpenID Connect identity provider configured, `/auth/login` without `provider` signs in there
 * (oidc-sign-in.ts), and connecting a car needs a signed-in user (401 `sign_in_required`).
 */
import type { FastifyInstance } from 'fastify';
import * as oauth from 'openid-client';
import { addPendingLogin } from '../../connect/pending-logins.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import { safeReturnTo } from '../../security/safe-return-to.ts';
import { startOidcSignIn } from './oidc-sign-in.ts';

export function loginRoute(app: FastifyInstance) {
  const choices = [...app.providers.keys()];
  app.get(
    '/login',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            provider: { type: 'string', maxLength: 64 },
            returnTo: { type: 'string', maxLength: 2048 },
            // A fresh sign-in at the identity provider (before erasing an account or exporting full VINs).
            prompt: { type: 'string', enum: ['login'] },
          },
        },
        summary: 'starts signing in or connecting a car: to the consent page, with PKCE and a one-time state',
        response: {
          302: { description: "to the provider's or identity provider's authorization page", type: 'null' },
          ...errorResponses(400, 401, 502),
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { provider?: string; returnTo?: string; prompt?: 'login' };
      if (app.identity) {
        if (query.provider === undefined) {
          const url = await startOidcSignIn(app, request, safeReturnTo(query.returnTo), query.prompt);
          return reply.redirect(url.href, 302);
        }
        if (!request.session.userId) {
          throw new KeyfobError(ERROR_CODES.SIGN_IN_REQUIRED, 401, 'sign in before connecting a car', {
            details: { loginUrl: '/auth/login' },
          });
        }
      }
      const name = query.provider ?? (choices.length === 1 ? choices[0] : undefined);
      const adapter = name === undefined ? undefined : app.providers.get(name);
      if (!adapter) {
        throw new KeyfobError(
          ERROR_CODES.PROVIDER_REQUIRED,
          400,
          query.provider === undefined
            ? `choose a provider: ?provider= one of ${choices.join(', ')}`
            : `unknown or disabled provider; choose one of ${choices.join(', ')}`,
          { details: { providers: choices } },
        );
      }
      const codeVerifier = oauth.randomPKCECodeVerifier();
      const state = oauth.randomState();
      addPendingLogin(request.session, {
        state,
        codeVerifier,
        provider: adapter.name,
        returnTo: safeReturnTo(query.returnTo),
        startedAt: Date.now(),
      });
      const url = adapter.authorizationUrl({
        redirectUri: `${app.config.publicUrl}/auth/callback`,
        state,
        codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      });
      return reply.redirect(url.href, 302);
    },
  );
}
