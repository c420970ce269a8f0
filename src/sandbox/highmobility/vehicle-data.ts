/**
 * `GET {prefix}/v1/vehicleinfo` (consumer token -> `{ vin, sub }`) and `GET {prefix}/v1/vehicle-data/autoapi-13/{vin}`
 * (consumer token for that car, or a fleet token whose clearance of that car is approved). Errors as the reference
 * lists them: 401 (missing or invalid token), 403 (no active consent for this vehicle), 404 (unknown VIN, the
 * unconfirmed case the simulator takes), 408 (asleep), 422 (pending at the carmaker), 429 with `retry-after`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import { autoApiAnswer } from './autoapi.ts';
import type { FleetTokens } from './fleet-auth.ts';
import { sendApiError } from './hm-error.ts';
import type { HighMobilityState } from './state.ts';

const bearerOf = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
};

export function vehicleDataRoutes(
  app: FastifyInstance,
  shared: SandboxState,
  hm: HighMobilityState,
  fleet: FleetTokens,
  prefix: string,
) {
  app.get(`${prefix}/v1/vehicleinfo`, async (request, reply) => {
    shared.calls.add('highmobility.api.GET /v1/vehicleinfo');
    const token = bearerOf(request);
    const consent = token ? hm.consentOf(token) : undefined;
    if (!consent) return reply.code(401).send({ error: 'invalid_token', error_description: 'Invalid token' });
    return { vin: consent.vin, sub: consent.accountId };
  });

  app.get(`${prefix}/v1/vehicle-data/autoapi-13/:vin`, async (request, reply) => {
    const { vin } = request.params as { vin: string };
    shared.calls.add('highmobility.api.GET /v1/vehicle-data');
    shared.lastApiRequest = { method: request.method, url: request.url, headers: { ...request.headers } };
    const token = bearerOf(request);
    if (!token) return sendApiError(reply, 401, 'Not Authorized', 'Missing or invalid authorization header');
    const consent = hm.consentOf(token);
    const fleetClient = consent ? undefined : await fleet.clientOf(token);
    if (!consent && !fleetClient) return sendApiError(reply, 401, 'Not Authorized', 'Invalid token');
    const vehicle = [...shared.vehicles.values()].find((candidate) => candidate.spec.vin === vin);
    if (!vehicle) return sendApiError(reply, 404, 'Not Found', 'Vehicle not found');
    if (consent) {
      if (hm.removedAtOem.has(consent.id))
        return sendApiError(reply, 401, 'Not Authorized', 'Consent is removed by OEM');
      if (consent.vin !== vin) return sendApiError(reply, 403, 'Forbidden', 'No active consent for this vehicle');
      if (hm.isPending(consent)) return sendApiError(reply, 422, 'Pending', 'Vehicle data is not available yet');
    } else if (hm.clearance(fleetClient?.clientId ?? '', vin)?.status !== 'approved') {
      return sendApiError(reply, 403, 'Forbidden', 'No active consent for this vehicle');
    }
    if (hm.asleep.has(vin)) return sendApiError(reply, 408, 'Request Timeout', 'Vehicle is offline or asleep');
    const wait = shared.rateLimiter.hit(`hm:${vin}`, shared.settings.rateLimitPerMinute, shared.clock.now());
    if (wait > 0) return sendApiError(reply, 429, 'Too Many Requests', 'Rate limit exceeded', wait);
    const state = shared.vehicle(vehicle.spec.id);
    if (!state) return sendApiError(reply, 404, 'Not Found', 'Vehicle not found');
    return autoApiAnswer(state, vehicle.spec.make.toLowerCase().replace(/[\s-]+/g, '_'), hm.failures);
  });
}
