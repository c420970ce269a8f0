/**
 * The vehicle a `/api/vehicles/:vehicleId/...` call names, if the caller reaches it: a person's own vehicle, or one
 * assigned to a machine client (machine_access). Anything else is 404, the same answer as for a vehicle that does
 * not exist, so neither learns what exists beyond their reach. A person's lookups go through the proxy's coherent
 * cache; a machine client's are read each time, so an operator's revocation is in force on the next call.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../../access/principal.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { GrantTokens } from '../../repositories/grants.ts';
import type { OwnedVehicle, Reach } from '../../repositories/vehicles.ts';
import { loginUrlFor, reauthRequired } from '../../tokens/access-tokens.ts';
import { needsReconnect } from '../../vehicle-status/conditions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The vehicle a call reached, and its owner, for the audit event. */
    auditVehicleId?: string;
    auditUserId?: string;
  }
}

export const vehicleParams = {
  type: 'object',
  required: ['vehicleId'],
  // Keyfob's own vehicle ids are UUIDs: anything else (dots, slashes, encodings) is refused before any lookup.
  properties: { vehicleId: { type: 'string', pattern: '^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$' } },
} as const;

export function reachOf(request: FastifyRequest): Reach {
  const principal = principalOf(request);
  return principal.kind === 'person' ? { userId: principal.userId } : { machineClientId: principal.clientId };
}

export async function vehicleInReach(
  app: FastifyInstance,
  request: FastifyRequest,
): Promise<{ vehicle: OwnedVehicle; grant: GrantTokens }> {
  const { vehicleId } = request.params as { vehicleId: string };
  const reach = reachOf(request);
  const found =
    'userId' in reach
      ? await app.proxyLookups.get(reach.userId, vehicleId, () => app.repos.vehicles.findWithTokens(reach, vehicleId))
      : await app.repos.vehicles.findWithTokens(reach, vehicleId);
  if (!found) throw new KeyfobError(ERROR_CODES.NOT_FOUND, 404, 'no such vehicle');
  request.auditVehicleId = found.vehicle.id;
  request.auditUserId = found.vehicle.userId;
  return found;
}

/**
 * The connection must be alive and nothing its provider reported may need the owner to connect it again (401
 * reauth_required, and the provider is not called), and a fleet vehicle must be cleared (409 not_cleared).
 */
export function assertReachable(vehicle: OwnedVehicle) {
  if (vehicle.grantStatus !== 'active' || needsReconnect(vehicle.conditions)) {
    throw reauthRequired(loginUrlFor(vehicle.provider));
  }
  if (vehicle.connectionKind === 'fleet' && vehicle.clearanceStatus !== 'approved') {
    throw new KeyfobError(
      ERROR_CODES.NOT_CLEARED,
      409,
      `this fleet vehicle's clearance is ${vehicle.clearanceStatus ?? 'unknown'}, not approved`,
      { details: { clearanceStatus: vehicle.clearanceStatus } },
    );
  }
}
