/**
 * `/api/vehicles`: the user's vehicles, disconnecting one, and the proxied vehicle endpoints. Every enabled
 * provider's route table is served under the same paths; a call resolves the vehicle's provider and uses that
 * adapter's row. For a proxied call, after the session and CSRF checks of the parent: the vehicle must be the
 * user's (404, the same answer as for a vehicle that does not exist), its provider must have the route (404
 * not_supported_by_provider, naming it, and nothing is sent), its connection alive (401 reauth_required with a
 * login URL) and, for a fleet vehicle, cleared (409 not_cleared), the route's scope granted (403
 * insufficient_scope); then the call goes upstream. Each proxied call writes an audit event.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { ProviderAdapter, ProxyRoute } from '../../providers/provider-adapter.ts';
import { assertScopes, requiredScopes } from '../../proxy/check-scopes.ts';
import { createGetCoalescer } from '../../proxy/coalesce-gets.ts';
import { forward } from '../../proxy/forward.ts';
import type { GrantTokens } from '../../repositories/grants.ts';
import type { OwnedVehicle } from '../../repositories/vehicles.ts';
import { sessionUserId } from '../../security/require-session.ts';
import { loginUrlFor, reauthRequired } from '../../tokens/access-tokens.ts';
import { browserVehicles, vehicleListSchema } from '../auth/session.ts';

const params = {
  type: 'object',
  required: ['vehicleId'],
  // Keyfob's own vehicle ids are UUIDs: anything else (dots, slashes, encodings) is refused before any lookup.
  properties: { vehicleId: { type: 'string', pattern: '^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$' } },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    auditVehicleId?: string;
  }
}

export default async function vehicleRoutes(app: FastifyInstance) {
  async function ownedVehicle(request: FastifyRequest): Promise<{ vehicle: OwnedVehicle; grant: GrantTokens }> {
    const { vehicleId } = request.params as { vehicleId: string };
    const userId = sessionUserId(request);
    const found = await app.proxyLookups.get(userId, vehicleId, () =>
      app.repos.vehicles.findOwnedWithTokens(userId, vehicleId),
    );
    if (!found) throw new KeyfobError(ERROR_CODES.NOT_FOUND, 404, 'no such vehicle');
    request.auditVehicleId = found.vehicle.id;
    return found;
  }

  function assertReachable(vehicle: OwnedVehicle) {
    if (vehicle.grantStatus !== 'active') throw reauthRequired(loginUrlFor(vehicle.provider));
    if (vehicle.connectionKind === 'fleet' && vehicle.clearanceStatus !== 'approved') {
      throw new KeyfobError(
        ERROR_CODES.NOT_CLEARED,
        409,
        `this fleet vehicle's clearance is ${vehicle.clearanceStatus ?? 'unknown'}, not approved`,
        { details: { clearanceStatus: vehicle.clearanceStatus } },
      );
    }
  }

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
    if (!endpoint?.includes(':vehicleId') || !request.session?.userId) return done();
    app.repos.audit.enqueue({
      userId: request.session.userId,
      vehicleId: request.auditVehicleId ?? null,
      clientId: 'dashboard',
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
    { schema: { response: { 200: { type: 'object', properties: { vehicles: vehicleListSchema } } } } },
    async (request) => ({
      vehicles: await browserVehicles(app, sessionUserId(request)),
    }),
  );

  app.delete('/:vehicleId', { schema: { params } }, async (request) => {
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
    const token = await app.accessTokens.forGrant(vehicle.grantId, { current: grant, log: request.log });
    // The refresh token as stored now: a refresh a moment ago may have rotated the one read with the vehicle.
    const current = await app.repos.grants.findTokens(vehicle.grantId);
    await adapter.disconnect({
      accessToken: token,
      refreshToken: current?.refreshToken ?? null,
      vehicleKey: keyOf(adapter, vehicle),
    });
    await app.db.$transaction(async (tx) => {
      await app.repos.vehicles.remove(vehicle.id, tx);
      await app.repos.grants.retireUnused(sessionUserId(request), tx);
    });
    await app.bus.publish({ kind: 'user', id: sessionUserId(request) });
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
  for (const { shape, byProvider } of served.values()) {
    app.route({
      method: shape.method,
      url: `/:vehicleId${shape.path}`,
      schema: { params, ...(shape.body ? { body: shape.body } : {}) },
      handler: async (request, reply) => {
        const { vehicle, grant } = await ownedVehicle(request);
        const adapter = app.providerFor(vehicle.provider);
        const route = byProvider.get(adapter.name);
        if (!route) throw notSupported(adapter, shape.method, shape.path);
        assertReachable(vehicle);
        assertScopes(vehicle.scopes, requiredScopes(route, request.body));
        const answered = await forward({
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
          coalesce: { coalescer, userId: sessionUserId(request) },
          observeUpstream: (status, seconds) => app.metrics.upstream.observe({ route: route.path, status }, seconds),
        });
        // Data flowing for a consent that awaited the carmaker: it is confirmed, on every instance.
        if (
          vehicle.pendingApproval &&
          reply.statusCode < 300 &&
          (await app.repos.grants.markApproved(vehicle.grantId))
        ) {
          await app.bus.publish({ kind: 'grant', id: vehicle.grantId });
        }
        return answered;
      },
    });
  }
}
