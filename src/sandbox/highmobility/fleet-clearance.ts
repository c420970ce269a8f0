/**
 * Fleet clearance with a fleet token: `POST /v1/fleets/vehicles`, `GET /v1/fleets/vehicles[?filter]`,
 * `GET` and `DELETE /v1/fleets/vehicles/{vin}`. A known car whose brand matches is approved after
 * `clearanceSeconds`, anything else rejected; removing an approved car goes revoking -> revoked, a pending one
 * canceling -> canceled; removing one in another state is 409. Brands are spelled with `-` (`mercedes-benz`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import type { FleetTokens } from './fleet-auth.ts';
import { sendApiError } from './hm-error.ts';
import type { Clearance, HighMobilityState } from './state.ts';

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const view = (clearance: Clearance) => ({
  vin: clearance.vin,
  status: clearance.status,
  brand: clearance.brand,
  tags: clearance.tags,
  changelog: clearance.changelog,
});

type FilterTerm = { operator?: string; value?: unknown };

function matches(clearance: Clearance, filter: Record<string, FilterTerm>): boolean {
  return Object.entries(filter).every(([field, term]) => {
    const actual = (clearance as unknown as Record<string, unknown>)[field];
    if (term.operator === 'eq') return actual === term.value;
    if (term.operator === 'in') return Array.isArray(term.value) && term.value.includes(actual);
    return false;
  });
}

export function fleetClearanceRoutes(
  app: FastifyInstance,
  shared: SandboxState,
  hm: HighMobilityState,
  fleet: FleetTokens,
  prefix: string,
) {
  async function fleetClient(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    const client = header?.startsWith('Bearer ') ? await fleet.clientOf(header.slice(7).trim()) : undefined;
    if (!client) sendApiError(reply, 401, 'Not Authorized', 'Invalid token');
    return client;
  }
  const later = (status: string) => ({ at: shared.clock.now() + hm.settings.clearanceSeconds * 1000, status });
  const stamp = () => new Date(shared.clock.now()).toISOString();

  app.post(`${prefix}/v1/fleets/vehicles`, async (request, reply) => {
    const client = await fleetClient(request, reply);
    if (!client) return reply;
    shared.calls.add('highmobility.fleet.add');
    const vehicles = (
      request.body as { vehicles?: Array<{ vin?: string; brand?: string; tags?: Record<string, string> }> }
    )?.vehicles;
    if (!Array.isArray(vehicles) || vehicles.length === 0) {
      return sendApiError(reply, 422, 'Unprocessable Entity', 'vehicles must be a non-empty list');
    }
    return {
      vehicles: vehicles.map((item) => {
        if (typeof item.vin !== 'string' || !VIN.test(item.vin) || typeof item.brand !== 'string') {
          return { vin: item.vin ?? '', status: 'error', description: 'vin and brand are required' };
        }
        const existing = hm.clearance(client.clientId, item.vin);
        if (existing && !['revoked', 'canceled', 'rejected'].includes(existing.status)) {
          return { vin: item.vin, status: 'error', description: 'Vehicle is already in the fleet' };
        }
        const car = [...shared.vehicles.values()].find((candidate) => candidate.spec.vin === item.vin);
        const brandOk = car && car.spec.make.toLowerCase().replace(/\s+/g, '-') === item.brand;
        hm.setClearance(client.clientId, {
          vin: item.vin,
          brand: item.brand,
          tags: item.tags ?? {},
          status: 'pending',
          changelog: [{ timestamp: stamp(), status: 'pending' }],
          next: later(brandOk ? 'approved' : 'rejected'),
        });
        return { vin: item.vin, status: 'pending' };
      }),
    };
  });

  app.get(`${prefix}/v1/fleets/vehicles`, async (request, reply) => {
    const client = await fleetClient(request, reply);
    if (!client) return reply;
    shared.calls.add('highmobility.fleet.list');
    const raw = (request.query as { filter?: string }).filter;
    let filter: Record<string, FilterTerm> = {};
    try {
      if (raw) filter = JSON.parse(raw) as Record<string, FilterTerm>;
    } catch {
      return sendApiError(reply, 422, 'Unprocessable Entity', 'filter must be JSON');
    }
    return hm
      .clearancesOf(client.clientId)
      .filter((clearance) => matches(clearance, filter))
      .map(view);
  });

  app.get(`${prefix}/v1/fleets/vehicles/:vin`, async (request, reply) => {
    const client = await fleetClient(request, reply);
    if (!client) return reply;
    const found = hm.clearance(client.clientId, (request.params as { vin: string }).vin);
    return found ? view(found) : sendApiError(reply, 404, 'Not Found', 'Vehicle not found in the fleet');
  });

  app.delete(`${prefix}/v1/fleets/vehicles/:vin`, async (request, reply) => {
    const client = await fleetClient(request, reply);
    if (!client) return reply;
    shared.calls.add('highmobility.fleet.remove');
    const found = hm.clearance(client.clientId, (request.params as { vin: string }).vin);
    if (!found) return sendApiError(reply, 404, 'Not Found', 'Vehicle not found in the fleet');
    const moves: Record<string, [string, string]> = {
      approved: ['revoking', 'revoked'],
      pending: ['canceling', 'canceled'],
    };
    const move = moves[found.status];
    if (!move) return sendApiError(reply, 409, 'Conflict', `Vehicle is ${found.status}`);
    found.status = move[0];
    found.changelog.push({ timestamp: stamp(), status: move[0] });
    found.next = later(move[1]);
    return { vin: found.vin, status: found.status };
  });
}
