/**
 * The `/api` path for machine clients: a request with an `Authorization` header is a machine call and nothing
 * else. It needs no cookie and no CSRF header (a cross-site page cannot make a browser send a bearer token it does
 * not have); one that also carries Keyfob's session cookie is refused as ambiguous (400), so a token can never be
 * combined with a person's session. The token is verified (access-token-verifier.ts), the caller becomes the
 * machine principal, and its client id's rate limit applies.
 * @see RFC 6750 sections 2.1 and 3.1
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest, invalidToken, REALM } from '../access/bearer-challenge.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { perMachineClientRateLimit } from '../security/rate-limits.ts';
import { createAccessTokenVerifier } from './access-token-verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request came with an Authorization header: audited as a machine call whatever its outcome. */
    machineCall?: boolean;
  }
}

/** RFC 6750's b64token, after the scheme. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function bearerAuthentication(app: FastifyInstance): (request: FastifyRequest) => Promise<void> {
  const settings = app.config.access.machine;
  const verify = settings
    ? createAccessTokenVerifier(settings, {
        timeoutMs: app.config.upstreamTimeoutMs,
        onJwksFetch: () => app.metrics.machineJwksFetches.inc(),
      })
    : undefined;
  const perClient = perMachineClientRateLimit(app, app.config.rateLimits.api.perMachineClient);
  return async (request) => {
    request.machineCall = true;
    const header = request.headers.authorization ?? '';
    if (request.cookies?.[app.sessions.cookieName] !== undefined) {
      throw invalidRequest('send either a bearer token or a session cookie, not both');
    }
    if (!/^bearer(\s|$)/i.test(header)) {
      // Another scheme (Basic ...) is no authentication Keyfob knows: RFC 6750 answers without an error code.
      throw new KeyfobError(ERROR_CODES.UNAUTHENTICATED, 401, 'use Authorization: Bearer <access token>', {
        headers: { 'www-authenticate': `Bearer realm="${REALM}"` },
      });
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) throw invalidRequest('the Authorization header is not a well-formed bearer token');
    if (!verify) throw invalidToken('machine clients are not enabled (MACHINE_ISSUER is unset)');
    request.principal = await verify(token);
    perClient(request);
  };
}
