/**
 * `GET /auth/callback`: the provider's redirect back. Rules, in order:
 * - `state` must be one this browser's session is waiting for (missing, unknown, expired or replayed: 400, the
 *   flow is aborted, nothing is stored); it is consumed at once, so it works once;
 * - a provider `error` (access_denied ...) goes back to the dashboard with the error, no retry;
 * - the code is exchanged server-side, at the provider the pending login went to (never one named by this query),
 *   with the PKCE verifier and the client authentication that provider expects; the account and vehicles are read
 *   and stored (tokens encrypted) under the signed-in user if there is one, else the account's user; the session
 *   id is renewed (no fixation); then the browser goes to returnTo.
 * @see RFC 6749 section 10.12, RFC 9700 section 4.7 (CSRF, one-time state), RFC 7636 (PKCE)
 */

import type { FastifyInstance, FastifyReply } from 'fastify';
import { takePendingLogin } from '../../connect/pending-logins.ts';
import { storeConnection } from '../../connect/store-connection.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import type { TokenSet } from '../../providers/provider-adapter.ts';
import { updateSession } from '../../sessions/session-timeouts.ts';
import { finishOidcSignIn } from './oidc-sign-in.ts';

const PROVIDER_ERROR = /^[a-z_]{1,64}$/;

function backToDashboard(reply: FastifyReply, error: string) {
  return reply.redirect(`/?connect_error=${encodeURIComponent(error)}`, 302);
}

export function callbackRoute(app: FastifyInstance) {
  app.get(
    '/callback',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            code: { type: 'string', maxLength: 512 },
            state: { type: 'string', maxLength: 512 },
            error: { type: 'string', maxLength: 128 },
            error_description: { type: 'string', maxLength: 1024 },
          },
        },
        summary: "the provider's (or identity provider's) redirect back: the code is exchanged here",
        response: {
          302: {
            description: 'to `returnTo` when connected or signed in, or to `/?connect_error=<reason>` when not',
            type: 'null',
          },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { code?: string; state?: string; error?: string };
      const pending = query.state ? takePendingLogin(request.session, query.state) : undefined;
      const audit = (outcome: string, status: number, userId: string | null = null) =>
        app.repos.audit
          .record({
            userId,
            vehicleId: null,
            clientId: !pending
              ? 'unknown'
              : pending.provider === 'oidc'
                ? `oidc:${app.identity?.client.clientId}`
                : `${pending.provider}:${app.providerFor(pending.provider).clientId}`,
            action: 'connect',
            endpoint: '/auth/callback',
            method: 'GET',
            status,
            outcome,
            requestId: request.id,
          })
          .catch((error: Error) => request.log.error({ err: error.message }, 'audit write failed'));
      if (!pending) {
        await audit('invalid_state', 400);
        throw new KeyfobError(
          ERROR_CODES.INVALID_STATE,
          400,
          'this sign-in link is not valid here (missing, unknown, expired or already used state); start again from the dashboard',
        );
      }
      if (query.error !== undefined) {
        const error = PROVIDER_ERROR.test(query.error) ? query.error : 'provider_error';
        await audit(`provider_error:${error}`, 302);
        return backToDashboard(reply, error);
      }
      if (pending.provider === 'oidc') return finishOidcSignIn(app, request, reply, pending, audit);
      // With an identity provider, a car joins the signed-in user; a session that ended meanwhile must sign in again.
      if (app.identity && !request.session.userId) {
        await audit('sign_in_required', 302);
        return backToDashboard(reply, 'sign_in_required');
      }
      const adapter = app.providerFor(pending.provider);
      let tokenSet: TokenSet;
      try {
        tokenSet = await adapter.exchangeCode({
          callbackUrl: new URL(request.url, app.config.publicUrl),
          redirectUri: `${app.config.publicUrl}/auth/callback`,
          state: pending.state,
          codeVerifier: pending.codeVerifier,
        });
      } catch (error) {
        const failure = adapter.classifyTokenFailure(error);
        request.log.warn({ failure, provider: adapter.name }, 'code exchange failed');
        await audit(`exchange_failed:${failure}`, 302);
        return backToDashboard(reply, failure === 'grant_refused' ? 'code_rejected' : 'provider_unavailable');
      }
      let described: { providerAccountId: string } & Awaited<ReturnType<typeof adapter.describeGrant>>;
      try {
        const providerAccountId = await adapter.identifyUser(tokenSet);
        described = { providerAccountId, ...(await adapter.describeGrant(tokenSet)) };
      } catch (error) {
        request.log.warn({ err: (error as Error).message }, 'reading the new connection failed');
        await audit('describe_failed', 302);
        return backToDashboard(reply, 'provider_unavailable');
      }
      // Stored only now, with every provider call behind it: no connection is held while the provider answers.
      // A database failure here is the database's (503 with retry-after, from the error handler), not the provider's.
      const stored = await storeConnection(app, {
        ...described,
        provider: adapter.name,
        signedInUserId: request.session.userId,
        joinSignedInUser: app.identity !== null,
        tokens: tokenSet,
      });
      // Connecting a car is a sign-in only without an identity provider: then the session id is renewed (no
      // fixation); with one, the person signed in there already and the session stays as it is.
      if (!app.identity) {
        await request.session.regenerate();
        const now = Date.now();
        updateSession(request.session, { userId: stored.userId, createdAt: now, lastSeenAt: now });
      }
      await audit('connected', 302, stored.userId);
      return reply.redirect(pending.returnTo, 302);
    },
  );
}
