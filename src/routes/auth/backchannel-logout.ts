/**
 * `POST /auth/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the identity provider says a session
 * of its own ended. The logout token is validated (identity/logout-token.ts); then every Keyfob session opened by
 * that provider session (`sid`), or by that subject when no `sid` is given, is destroyed in the shared store, which
 * every instance's session cache drops at once. 200 with `Cache-Control: no-store`; a bad token is 400 with an
 * OAuth error body and ends nothing. A repeated delivery of an accepted token is refused as a replay and harmless.
 * No cookie, no CSRF header: the token is the authentication.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import formBody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { LogoutTokenError } from '../../identity/logout-token.ts';

export async function backchannelLogoutRoute(app: FastifyInstance) {
  const identity = app.identity;
  if (!identity) return;
  await app.register(async (scope) => {
    await scope.register(formBody, { bodyLimit: 16 * 1024 });
    scope.post(
      '/backchannel-logout',
      {
        schema: {
          summary: "the identity provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0)",
          response: {
            200: { description: 'the sessions of that sign-in are ended', type: 'null' },
            400: {
              description: 'the logout token was refused (OAuth error body)',
              type: 'object',
              required: ['error', 'error_description'],
              properties: { error: { type: 'string' }, error_description: { type: 'string' } },
            },
          },
          body: {
            type: 'object',
            required: ['logout_token'],
            properties: { logout_token: { type: 'string', minLength: 1, maxLength: 16_384 } },
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        let target: Awaited<ReturnType<typeof identity.verifyLogoutToken>>;
        try {
          target = await identity.verifyLogoutToken((request.body as { logout_token: string }).logout_token);
        } catch (error) {
          if (!(error instanceof LogoutTokenError)) throw error;
          request.log.warn({ reason: error.message }, 'back-channel logout token refused');
          return reply.code(400).send({ error: 'invalid_request', error_description: error.message });
        }
        // Sessions first, records and the jti after: a delivery that fails half-way finds the rest when retried.
        const signIns = await identity.sessions.findAt(identity.client.issuer, target);
        for (const signIn of signIns) await app.sessions.destroy(signIn.sessionId);
        await identity.sessions.remove(signIns.map((signIn) => signIn.id));
        await identity.rememberLogoutToken(target.jti);
        request.log.info({ sessions: signIns.length }, 'back-channel logout');
        return reply.code(200).send();
      },
    );
  });
}
