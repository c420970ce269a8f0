/**
 * `POST /oauth/token` (per-user tokens, Smartcar v2) and `POST /oauth2/token` (application tokens with the
 * client credentials grant, Smartcar v3 API Authentication). Rules live in state/token-store.ts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError } from '../state/oauth-error.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import { authenticateClient } from './client-auth.ts';

type Form = Record<string, string | undefined>;

function sendTokenAnswer(reply: FastifyReply, run: () => unknown) {
  // Token answers must never be cached (RFC 6749 section 5.1).
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  try {
    return reply.send(run());
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (error.error === 'invalid_client') reply.header('www-authenticate', 'Basic realm="sandbox"');
    return reply.code(error.status).send(error.toBody());
  }
}

function formOf(body: unknown): Form {
  if (typeof body !== 'object' || body === null) return {};
  const form: Form = {};
  for (const [key, value] of Object.entries(body)) {
    // A parameter sent twice is an error (RFC 6749 section 3.2), seen here as an array.
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `Parameter ${key} was sent more than once.`);
    form[key] = String(value);
  }
  return form;
}

export function tokenRoutes(app: FastifyInstance, state: SandboxState) {
  app.post('/oauth/token', async (request, reply) =>
    sendTokenAnswer(reply, () => {
      const form = formOf(request.body);
      const client = authenticateClient(state, request.headers.authorization, form, false);
      state.calls.add(`token.${form.grant_type ?? 'missing'}`);
      if (form.grant_type === 'authorization_code') {
        if (!form.code || !form.redirect_uri)
          throw new OAuthError('invalid_request', 'code and redirect_uri are required.');
        return state.tokens.exchangeCode({
          clientId: client.clientId,
          code: form.code,
          redirectUri: form.redirect_uri,
          codeVerifier: form.code_verifier,
        });
      }
      if (form.grant_type === 'refresh_token') {
        if (!form.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required.');
        return state.tokens.refresh({ clientId: client.clientId, refreshToken: form.refresh_token });
      }
      throw new OAuthError(
        form.grant_type ? 'unsupported_grant_type' : 'invalid_request',
        'grant_type must be authorization_code or refresh_token.',
      );
    }),
  );

  app.post('/oauth2/token', async (request, reply) =>
    sendTokenAnswer(reply, () => {
      const form = formOf(request.body);
      if (form.grant_type !== 'client_credentials') {
        throw new OAuthError('invalid_request', 'grant_type must be client_credentials.');
      }
      const client = authenticateClient(state, request.headers.authorization, form, true);
      state.calls.add('app_token.client_credentials');
      return state.tokens.issueAppToken(client.clientId, form.scope);
    }),
  );
}
