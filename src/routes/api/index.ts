/**
 * `/api/*`: vehicle data and commands, for two kinds of caller (access/principal.ts), decided as a request arrives,
 * before its body is read or validated:
 * - A signed-in person: the per-IP rate limit (429, at the root), an `Origin` other than Keyfob's (403), a
 *   signed-in session (401), the `X-CSRF: 1` header (403), the per-session rate limit (429). The origin check runs
 *   before @fastify/session reads the session.
 * - A machine client, for any request with an `Authorization` header: the origin check, then the bearer token
 *   (machine-clients/bearer-authentication.ts: 401/400 as RFC 6750 says, a session cookie beside it refused), then
 *   its client id's rate limit (429). No session, no CSRF header.
 * Then every route's Keyfob scope (access/scope-table.ts, attached to each route as it is registered, so a route
 * missing from the table stops Keyfob at start), and the routes' own checks of reach and the provider's
 * permission. Answers are `Cache-Control: no-store` (plugins/external/helmet.ts). Every machine call is audited
 * here, refused ones included; people's proxied calls in vehicles.ts.
 */
import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify';
import { personPrincipal } from '../../access/person-scopes.ts';
import { auditClientId, principalOf } from '../../access/principal.ts';
import { requireScopes } from '../../access/require-scope.ts';
import { type KeyfobScope, OWN_ACCOUNT_ROUTES, scopeOfRoute } from '../../access/scope-table.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { bearerAuthentication } from '../../machine-clients/bearer-authentication.ts';
import { declareArea } from '../../openapi/declare-area.ts';
import { API_ERRORS } from '../../openapi/error-responses.ts';
import { perSessionRateLimit } from '../../security/rate-limits.ts';
import { requireCsrfHeader } from '../../security/require-csrf-header.ts';
import { requireSameOrigin } from '../../security/require-same-origin.ts';
import { requireSession } from '../../security/require-session.ts';
import account from './account.ts';
import liveStream from './live-stream.ts';
import vehicleData from './vehicle-data.ts';
import vehicleRoutes from './vehicles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's Keyfob scope, set as the route is registered. */
    scope?: KeyfobScope;
  }
}

/** A person's own account is theirs alone: a machine client never reaches it, whatever its scopes. */
const peopleOnly: onRequestHookHandler = (request, _reply, done) => {
  if (principalOf(request).kind === 'person') return done();
  done(new KeyfobError(ERROR_CODES.PEOPLE_ONLY, 403, "an account's export and erasure are for the signed-in person"));
};

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export default async function apiRoutes(app: FastifyInstance) {
  const sameOrigin = requireSameOrigin(app.config.publicUrl);
  const perSession = perSessionRateLimit(app, 'api', app.config.rateLimits.api.perSession);
  const bearer = bearerAuthentication(app);
  const { enforceTokenLifetime } = app.config.access.machine ?? { enforceTokenLifetime: false };

  app.addHook('onRequest', (request, _reply, done) => {
    sameOrigin(request);
    if (request.headers.authorization === undefined) return done();
    bearer(request).then(() => done(), done);
  });
  // @fastify/session reads the session here (a machine call brings no cookie, so none is read), and writes a
  // changed one as the request answers.
  await app.useSessions(app);
  app.addHook('onRequest', async (request) => {
    if (request.machineCall) return;
    await app.sessions.enforceTimeouts(request);
    requireSession(request);
    requireCsrfHeader(request);
    perSession(request);
    request.principal = personPrincipal(request.session, app.config.access);
  });

  app.addHook('onRoute', (route: RouteOptions) => {
    const method = String(route.method);
    const url = route.url.replace(/\/$/, '');
    declareArea(route, {
      tag: 'api',
      errors: API_ERRORS,
      security: OWN_ACCOUNT_ROUTES.has(`${method} ${url}`) ? [{ session: [] }] : [{ session: [] }, { machine: [] }],
    });
    if (OWN_ACCOUNT_ROUTES.has(`${method} ${url}`)) {
      route.preValidation = [peopleOnly, ...asArray(route.preValidation)];
      return;
    }
    const scope = scopeOfRoute(method, url);
    route.config = { ...route.config, scope };
    const check: onRequestHookHandler = (request, _reply, done) => {
      try {
        requireScopes(principalOf(request), [scope], { enforceTokenLifetime });
      } catch (error) {
        return done(error as Error);
      }
      done();
    };
    // Before validation: a caller without the scope learns nothing about the body the route expects.
    route.preValidation = [check, ...asArray(route.preValidation)];
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (!request.machineCall) return done();
    const principal = request.principal?.kind === 'machine' ? request.principal : undefined;
    const { url, config } = request.routeOptions;
    const outcome = reply.statusCode < 400 ? 'ok' : reply.statusCode < 500 ? 'refused' : 'error';
    app.metrics.machineRequests.inc({
      client_id: principal?.clientId ?? 'unverified',
      scope: config.scope ?? 'none',
      outcome,
    });
    app.repos.audit.enqueue({
      userId: request.auditUserId ?? null,
      vehicleId: request.auditVehicleId ?? null,
      clientId: principal ? auditClientId(principal) : 'machine:unverified',
      action: 'machine_call',
      // The route template, never the URL: a VIN asked by value would otherwise sit in the audit trail.
      endpoint: url ?? 'unmatched',
      method: request.method,
      status: reply.statusCode,
      outcome,
      latencyMs: Math.round(reply.elapsedTime),
      requestId: request.id,
    });
    done();
  });

  await app.register(vehicleRoutes, { prefix: '/vehicles' });
  await app.register(vehicleData);
  await app.register(liveStream);
  await app.register(account);
}
