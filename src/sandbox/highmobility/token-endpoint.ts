/**
 * `POST {prefix}/v1/access_tokens` and `DELETE {prefix}/v1/access_tokens`. Rules (reference: High Mobility token
 * endpoint): JSON bodies only (the stricter reading); the client authenticates with `client_id` and
 * `client_secret` in the body, or for client credentials with an ES256 assertion; grant types
 * `authorization_code`, `refresh_token`, `client_credentials` (the `refresh` spelling of some examples is refused);
 * every failure is 400 `invalid_request` with a description, as High Mobility answers.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import { type FleetTokens, JWT_BEARER, secretMatches } from './fleet-auth.ts';
import { sendTokenError, TokenRequestError } from './hm-error.ts';
import type { HighMobilityState } from './state.ts';

type Body = Record<string, unknown>;

function jsonBody(request: { headers: Record<string, unknown>; body: unknown }): Record<string, string | undefined> {
  const type = String(request.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) throw new TokenRequestError('content type must be application/json');
  const body = (request.body ?? {}) as Body;
  const strings: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(body)) strings[key] = typeof value === 'string' ? value : undefined;
  return strings;
}

async function answer(reply: FastifyReply, run: () => unknown) {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  try {
    return reply.send(await run());
  } catch (error) {
    if (error instanceof TokenRequestError) return sendTokenError(reply, error.description);
    throw error;
  }
}

export function tokenEndpointRoutes(
  app: FastifyInstance,
  shared: SandboxState,
  hm: HighMobilityState,
  fleet: FleetTokens,
  prefix: string,
) {
  const consumerClient = (body: Record<string, string | undefined>) => {
    if (!body.client_id) throw new TokenRequestError("client_id can't be blank");
    const client = hm.client(body.client_id);
    if (!client || !secretMatches(client, body.client_secret)) throw new TokenRequestError('client_secret is invalid');
    return client;
  };

  app.post(`${prefix}/v1/access_tokens`, async (request, reply) =>
    answer(reply, async () => {
      const body = jsonBody(request);
      shared.calls.add(`highmobility.token.${body.grant_type ?? 'missing'}`);
      if (body.grant_type === 'authorization_code') {
        const client = consumerClient(body);
        if (!body.code) throw new TokenRequestError("code can't be blank");
        if (!body.redirect_uri) throw new TokenRequestError("redirect_uri can't be blank");
        return hm.exchangeCode({
          clientId: client.clientId,
          code: body.code,
          redirectUri: body.redirect_uri,
          codeVerifier: body.code_verifier,
        });
      }
      if (body.grant_type === 'refresh_token') {
        const client = consumerClient(body);
        if (!body.refresh_token) throw new TokenRequestError("refresh_token can't be blank");
        return hm.refresh(client.clientId, body.refresh_token);
      }
      if (body.grant_type === 'client_credentials') {
        if (body.client_assertion !== undefined) {
          if (body.client_secret !== undefined) throw new TokenRequestError('use client_secret or client_assertion');
          if (body.client_assertion_type !== JWT_BEARER)
            throw new TokenRequestError('client_assertion_type is invalid');
          // The audience is `{host}/v1` as the client reached this endpoint.
          const audience = `${request.protocol}://${request.headers.host}${prefix}/v1`;
          shared.calls.add('highmobility.token.client_credentials.assertion');
          return fleet.issue(await fleet.verifyAssertion(body.client_assertion, body.client_id, audience));
        }
        shared.calls.add('highmobility.token.client_credentials.secret');
        return fleet.issue(consumerClient(body));
      }
      throw new TokenRequestError('grant_type is invalid');
    }),
  );

  app.delete(`${prefix}/v1/access_tokens`, async (request, reply) =>
    answer(reply, async () => {
      const body = jsonBody(request);
      const client = consumerClient(body);
      if (!body.token) throw new TokenRequestError("token can't be blank");
      shared.calls.add('highmobility.revoke');
      hm.revoke(client.clientId, body.token);
      return '';
    }),
  );
}
