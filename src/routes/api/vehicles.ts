/**
 * `/api/vehicles`: the caller's vehicles, disconnecting one, and the proxied vehicle endpoints. Every enabled
 * provider's route table is served under the same paths; a call resolves the vehicle's provider and uses that
 * adapter's row. For a proxied call, after the parent's authentication and the route's Keyfob scope: the vehicle
 * must be in the caller's reach (404, the same answer as for a vehicle that does not exist), its provider must have
 * the route (404 not_supported_by_provider, naming it, and nothing is sent), its connection alive (401
 * reauth_required with a login URL) and, for a fleet vehicle, cleared (409 not_cleared), the provider's permission
 * granted (403 insufficient_scope); then the call goes upstream. Each proxied call writes an audit event.
 */
import type { FastifyInstance } from 'fastify';
import { auditClientId, principalOf } from '../../access/principal.ts';
import { requireScopes } from '../../access/require-scope.ts';
import { type KeyfobScope, tableScopeOf } from '../../access/scope-table.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import type { ProviderAdapter, ProxyRoute } from '../../providers/provider-adapter.ts';
import { assertScopes, requiredScopes } from '../../proxy/check-scopes.ts';
import { createGetCoalescer } from '../../proxy/coalesce-gets.ts';
import { forward } from '../../proxy/forward.ts';
import type { OwnedVehicle } from '../../repositories/vehicles.ts';
import { traceOf } from '../../tracing/trace-scope.ts';
import { browserVehicles, vehicleListSchema } from '../auth/session.ts';
import { recordAnswerCondition } from './answer-conditions.ts';
import { assertReachable, vehicleParams as params, reachOf, vehicleInReach } from './vehicle-reach.ts';

/** The Keyfob scopes a batch needs besides its own: each sub-path's, as if it were called alone. */
function batchScopes(route: ProxyRoute, body: unknown): KeyfobScope[] {
  return (route.batchPaths?.(body) ?? []).flatMap((path) => {
    // A path that is no readable endpoint has no row: requiredScopes answers it 400 with its name.
    const scope = tableScopeOf('GET', `/api/vehicles/:vehicleId${path === '/' ? '/attributes' : path}`);
    return scope ? [scope] : [];
  });
}

/**
 * A proxied route's answers: the provider's data in Smartcar's v2 shape (README's route table), Keyfob's errors,
 * and the provider's own errors relayed with their status (Smartcar's body: `type`, `code`, `description`).
 */
const RELAYED_ERROR = {
  description: "Keyfob's error body, or the provider's own error as it sent it",
  anyOf: [
    { $ref: 'KeyfobError#' },
    {
      type: 'object',
      description: "the provider's error body: Smartcar v2 `{ type, code, description }`, v3 `{ errors: [...] }`",
      additionalProperties: true,
    },
  ],
} as const;
const PROVIDER_DATA = {
  type: 'object',
  description: "the vehicle's data in Smartcar's v2 shape, or a command's `{ status }`",
  additionalProperties: true,
} as const;
const PROXIED_RESPONSES = {
  200: PROVIDER_DATA,
  202: { ...PROVIDER_DATA, description: 'the provider accepted the command and carries it out later' },
  ...Object.fromEntries(
    [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 501, 502, 503, 504].map((status) => [status, RELAYED_ERROR]),
  ),
};

export default async function vehicleRoutes(app: FastifyInstance) {
  const ownedVehicle = (request: Parameters<typeof vehicleInReach>[1]) => vehicleInReach(app, request);
  const { enforceTokenLifetime } = app.config.access.machine ?? { enforceTokenLifetime: false };

  const notSupported = (adapter: ProviderAdapter, method: string, path: string) =>
    new KeyfobError(
      ERROR_CODES.NOT_SUPPORTED_BY_PROVIDER,
      404,
      `${adapter.displayName} does not offer ${method} ${path}`,
      {
        details: { provider: adapter.name },
      },
    );

  // Queued for the batched writer (repositories/audit.ts): nothing to wait for, so a callback hook, not a promise.
  app.addHook('onResponse', (request, reply, done) => {
    // Read once: Fastify builds a new routeOptions object on every access.
    const endpoint = request.routeOptions.url;
    // A machine client's calls are audited by the /api hooks, refused ones included.
    if (!endpoint?.includes(':vehicleId') || request.principal?.kind !== 'person') return done();
    app.repos.audit.enqueue({
      userId: request.principal.userId,
      vehicleId: request.auditVehicleId ?? null,
      clientId: auditClientId(request.principal),
      action: 'proxy',
      endpoint,
      method: request.method,
      status: reply.statusCode,
      outcome: reply.statusCode < 400 ? 'ok' : 'error',
      latencyMs: Math.round(reply.elapsedTime),
      requestId: request.id,
    });
    done();
  });

  app.get(
    '/',
    {
      schema: {
        summary: "the signed-in person's vehicles, or those assigned to the machine client, and their status",
        response: { 200: { type: 'object', properties: { vehicles: vehicleListSchema } } },
      },
    },
    async (request) => ({
      vehicles: await browserVehicles(app, reachOf(request), principalOf(request).scopes),
    }),
  );

  const disconnectSchema = {
    summary: 'disconnects the vehicle at its provider and here; its tokens are destroyed',
    params,
    response: {
      200: { type: 'object', required: ['disconnected'], properties: { disconnected: { type: 'boolean' } } },
      ...errorResponses(409),
    },
  };
  app.delete('/:vehicleId', { schema: disconnectSchema }, async (request) => {
    const { vehicle, grant } = await ownedVehicle(request);
    if (vehicle.connectionKind === 'fleet') {
      throw new KeyfobError(
        ERROR_CODES.OPERATOR_MANAGED,
        409,
        'a fleet vehicle is removed by its operator (npm run fleet -- remove VIN), not from the dashboard',
      );
    }
    assertReachable(vehicle);
    const adapter = app.providerFor(vehicle.provider);
    const token = await app.accessTokens.forGrant(vehicle.grantId, {
      current: grant,
      log: request.log,
      trace: traceOf(request),
    });
    // The refresh token as stored now: a refresh a moment ago may have rotated the one read with the vehicle.
    const current = await app.repos.grants.findTokens(vehicle.grantId);
    await adapter.disconnect({
      accessToken: token,
      refreshToken: current?.refreshToken ?? null,
      vehicleKey: keyOf(adapter, vehicle),
    });
    await app.db.$transaction(async (tx) => {
      await app.repos.vehicles.remove(vehicle.id, tx);
      await app.repos.grants.retireUnused(vehicle.userId, tx);
    });
    await app.bus.publish({ kind: 'user', id: vehicle.userId });
    return { disconnected: true };
  });

  const coalescer = createGetCoalescer((route) =>
    app.metrics.coalesced.inc({ route: `/api/vehicles/:vehicleId${route}` }),
  );
  function keyOf(adapter: ProviderAdapter, vehicle: OwnedVehicle): string {
    if (adapter.vehicleKey === 'providerVehicleId') return vehicle.providerVehicleId;
    const vin = app.repos.vehicles.revealVin(vehicle);
    if (!vin) throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'this vehicle has no VIN on record');
    return vin;
  }

  // One Fastify route per path and method any enabled provider serves, knowing each provider's row for it (looked
  // up once here, not per request). Keyfob's request bodies are the same for every provider that has the route (the
  // first table that declares a body gives its schema).
  const served = new Map<string, { shape: ProxyRoute; byProvider: Map<string, ProxyRoute> }>();
  for (const adapter of app.providers.values()) {
    for (const route of adapter.routes) {
      const key = `${route.method} ${route.path}`;
      const entry = served.get(key) ?? { shape: route, byProvider: new Map<string, ProxyRoute>() };
      if (!entry.shape.body) entry.shape = route;
      entry.byProvider.set(adapter.name, route);
      served.set(key, entry);
    }
  }
  // A consent that awaits the carmaker is confirmed once data flows for it: stored before the answer leaves (an
  // onSend hook), so the next request, on any instance, already sees the vehicle active.
  const awaitingApproval = new WeakMap<object, string>();
  const confirmApproval = async (request: object, reply: { statusCode: number }) => {
    const grantId = awaitingApproval.get(request);
    if (grantId && reply.statusCode < 300 && (await app.repos.grants.markApproved(grantId))) {
      await app.bus.publish({ kind: 'grant', id: grantId });
    }
  };
  for (const { shape, byProvider } of served.values()) {
    app.route({
      method: shape.method,
      url: `/:vehicleId${shape.path}`,
      schema: {
        summary: `${shape.method} ${shape.path} of the vehicle's provider (${[...byProvider.keys()].join(', ')})`,
        params,
        ...(shape.body ? { body: shape.body } : {}),
        response: PROXIED_RESPONSES,
      },
      onSend: async (request, reply) => confirmApproval(request, reply),
      handler: async (request, reply) => {
        const { vehicle, grant } = await ownedVehicle(request);
        const adapter = app.providerFor(vehicle.provider);
        const route = byProvider.get(adapter.name);
        if (!route) throw notSupported(adapter, shape.method, shape.path);
        assertReachable(vehicle);
        const principal = principalOf(request);
        if (route.batchPaths) requireScopes(principal, batchScopes(route, request.body), { enforceTokenLifetime });
        assertScopes(vehicle.scopes, requiredScopes(route, request.body));
        if (vehicle.pendingApproval) awaitingApproval.set(request, vehicle.grantId);
        return forward({
          request,
          reply,
          route,
          vehicle,
          grant,
          vehicleKey: keyOf(adapter, vehicle),
          provider: adapter,
          accessTokens: app.accessTokens,
          appTokens: app.appTokens,
          timeoutMs: app.config.upstreamTimeoutMs,
          // Identical GETs share an answer only within one caller: a person, or one machine client.
          coalesce: {
            coalescer,
            userId: principal.kind === 'person' ? principal.userId : `machine:${principal.clientId}`,
          },
          observeUpstream: (status, seconds) => app.metrics.upstream.observe({ route: route.path, status }, seconds),
          onAnswerCondition: (condition) => recordAnswerCondition(app, request, vehicle, condition),
        });
      },
    });
  }
}
