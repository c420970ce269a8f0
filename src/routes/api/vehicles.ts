/**
 * `/api/vehicles`: the user's vehicles, disconnecting one, and the proxied vehicle endpoints of the provider's
 * route table. For a proxied call, after the session and CSRF checks of the parent: the vehicle must be the
 * user's (404, the same answer as for a vehicle that does not exist), its grant alive (401 reauth_required with a
 * login URL), the route's scope granted (403 insufficient_scope); then the call goes upstream. Each proxied call
 * writes an audit event.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { assertScopes, requiredScopes } from '../../proxy/check-scopes.ts';
import { createGetCoalescer } from '../../proxy/coalesce-gets.ts';
import { forward } from '../../proxy/forward.ts';
import type { GrantTokens } from '../../repositories/grants.ts';
import type { OwnedVehicle } from '../../repositories/vehicles.ts';
import { sessionUserId } from '../../security/require-session.ts';
import { reauthRequired } from '../../tokens/access-tokens.ts';
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
    if (found.vehicle.grantStatus !== 'active') throw reauthRequired('/auth/login');
    return found;
  }

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
    const token = await app.accessTokens.forGrant(vehicle.grantId, { current: grant, log: request.log });
    await app.provider.disconnect(token, vehicle.providerVehicleId);
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
  for (const route of app.provider.routes) {
    app.route({
      method: route.method,
      url: `/:vehicleId${route.path}`,
      schema: { params, ...(route.body ? { body: route.body } : {}) },
      handler: async (request, reply) => {
        const { vehicle, grant } = await ownedVehicle(request);
        assertScopes(vehicle.scopes, requiredScopes(route, request.body));
        return forward({
          request,
          reply,
          route,
          vehicle,
          grant,
          provider: app.provider,
          accessTokens: app.accessTokens,
          appTokens: app.appTokens,
          timeoutMs: app.config.upstreamTimeoutMs,
          coalesce: { coalescer, userId: sessionUserId(request) },
          observeUpstream: (status, seconds) => app.metrics.upstream.observe({ route: route.path, status }, seconds),
        });
      },
    });
  }
}
