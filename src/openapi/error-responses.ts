/**
 * The error answers routes declare, for the OpenAPI description (@fastify/swagger) and for serialization: Keyfob's
 * one error body (errors/error-handler.ts), referenced by every route for each status it can answer. The body's
 * optional fields are the `details` some codes carry; others are allowed (`additionalProperties`), so the
 * serializer never drops a detail a code adds.
 */
export const ERROR_SCHEMA_ID = 'KeyfobError';

export const errorBodySchema = {
  $id: ERROR_SCHEMA_ID,
  type: 'object',
  description: "Keyfob's error body: a stable `error` code the client can switch on, and a readable `message`",
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'a stable code (README: HTTP surface)' },
    message: { type: 'string' },
    requestId: { type: 'string', description: 'the id in the log lines of this request' },
    loginUrl: { type: 'string', description: 'where to sign in or connect again (reauth_required, ...)' },
    missingScopes: { type: 'array', items: { type: 'string' }, description: 'insufficient_scope' },
    retryAfterSeconds: { type: 'number', description: 'rate_limited and the 503s, as in `retry-after`' },
    maxAgeSeconds: { type: 'integer', description: 'fresh_sign_in_required' },
    provider: { type: 'string' },
    providers: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: true,
} as const;

const DESCRIPTIONS: Record<number, string> = {
  400: 'bad input (validation, a bad parameter, a malformed token request)',
  401: 'not signed in, an invalid bearer token, or a connection that needs a new consent (`reauth_required`)',
  403: 'a missing `X-CSRF` header, a foreign `Origin`, a missing scope, or not this caller’s to do',
  404: 'not found, or not in the caller’s reach (the same answer)',
  409: 'a conflict with the stored state',
  413: 'the body is too large',
  422: 'the provider has not confirmed the consent yet',
  429: 'rate limited (`retry-after`)',
  500: 'an internal error (no detail)',
  501: 'the car cannot do this',
  502: 'the provider or data service failed',
  503: 'a dependency is unavailable (`retry-after`)',
  504: 'the provider did not answer in time',
};

/** The answers of these statuses, each Keyfob's error body. */
export function errorResponses(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: DESCRIPTIONS[status] ?? 'an error', $ref: `${ERROR_SCHEMA_ID}#` },
    ]),
  );
}

/** What every `/api` route can answer besides its own: the checks in routes/api/index.ts and the dependencies. */
export const API_ERRORS = [400, 401, 403, 404, 413, 429, 500, 502, 503, 504] as const;
/** What every `/auth` route can answer besides its own. */
export const AUTH_ERRORS = [400, 403, 413, 429, 500, 503] as const;
