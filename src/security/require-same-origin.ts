/**
 * Refuses (403 JSON) a request that names an `Origin` other than Keyfob's own (PUBLIC_URL). Browsers send
 * `Origin` on every cross-origin request and on same-origin requests that change state, so a page elsewhere
 * cannot drive `/auth` or `/api` even where the CSRF header check alone would let a request through (a
 * taken-over sibling subdomain is same-site, not same-origin). Requests without `Origin` (top-level navigations
 * such as the provider's redirect to /auth/callback) are left to the other checks.
 * @see RFC 6454 (The Web Origin Concept), section 7; IETF draft-ietf-oauth-browser-based-apps, section 6.1
 */
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export function requireSameOrigin(publicUrl: string) {
  const allowed = new URL(publicUrl).origin;
  return (request: FastifyRequest): void => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== allowed) {
      throw new KeyfobError(
        ERROR_CODES.ORIGIN_NOT_ALLOWED,
        403,
        `requests from origin ${JSON.stringify(origin.slice(0, 100))} are not allowed`,
      );
    }
  };
}
