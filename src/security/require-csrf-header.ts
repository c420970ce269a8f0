/**
 * Refuses (403 JSON) a request unless the request carries `X-CSRF: 1`. A cross-site form or image cannot set a custom
 * header, and a cross-site script that sets one triggers a CORS preflight that Keyfob never approves, so only
 * the dashboard's own scripts get through. SameSite alone is not enough: a taken-over sibling subdomain is
 * same-site. Checked on every call, safe methods included, because GETs here return personal data.
 * @see IETF draft-ietf-oauth-browser-based-apps, section 6.1 (BFF, CSRF protection)
 */
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export const CSRF_HEADER = 'x-csrf';

export function requireCsrfHeader(request: FastifyRequest): void {
  if (request.headers[CSRF_HEADER] !== '1') {
    throw new KeyfobError(ERROR_CODES.CSRF_HEADER_MISSING, 403, 'this call needs the header X-CSRF: 1');
  }
}
