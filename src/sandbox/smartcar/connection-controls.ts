/**
 * The Smartcar simulator's controls for a car's connection, so that Keyfob's handling of it can be tried with no
 * real car (README: The sandbox):
 * - `POST /sandbox/smartcar/vehicles/:vehicleId/revoke`: the owner's grants holding the car are revoked at the
 *   provider (their access and refresh tokens are refused from now on, as Smartcar refuses them), and a
 *   VEHICLE_ERROR `CONNECTED_SERVICES_ACCOUNT` / `AUTHENTICATION_FAILED` with resolution `REAUTHENTICATE` is sent;
 * - `POST /sandbox/smartcar/vehicles/:vehicleId/state` `{ state: ASLEEP | UNREACHABLE | REMOTE_ACCESS_DISABLED |
 *   ONLINE }`: the car falls asleep, goes offline or has remote access turned off (data calls then answer 409
 *   VEHICLE_STATE with that code) and a VEHICLE_ERROR `VEHICLE_STATE` ERROR is sent; ONLINE ends it and sends the
 *   same error with `state: RESOLVED`.
 * The events go to the configured webhook target, signed, with Smartcar's retries (webhooks.ts).
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks: VEHICLE_ERROR)
 */
import type { FastifyInstance } from 'fastify';
import type { Reachability } from '../simulation/vehicle-state.ts';
import type { SandboxState } from '../state/sandbox-state.ts';

const DOCS = 'https://smartcar.com/docs/errors/api-errors';

/** Smartcar's words for each vehicle state, as a VEHICLE_ERROR carries them. */
const STATE_ERRORS: Record<Exclude<Reachability, 'ONLINE'>, { description: string; suggestedUserMessage: string }> = {
  ASLEEP: {
    description: 'The vehicle is asleep and did not respond to the request.',
    suggestedUserMessage: 'Your car is asleep. It will share its data again once it wakes up.',
  },
  UNREACHABLE: {
    description: 'The vehicle is not connected to the internet.',
    suggestedUserMessage: 'Your car is out of network coverage. Its data will update once it is back online.',
  },
  REMOTE_ACCESS_DISABLED: {
    description: 'Remote access is disabled on the vehicle.',
    suggestedUserMessage: "Remote access is turned off in your car's settings. Turn it on to share data again.",
  },
};

export function connectionControlRoutes(app: FastifyInstance, state: SandboxState) {
  const unknownVehicle = { error: 'invalid_vehicle', message: 'vehicleId of a sandbox vehicle' };
  const grantsHolding = (vehicleId: string) =>
    [...state.tokens.grants.values()].filter((grant) => !grant.revoked && grant.vehicleIds.has(vehicleId));

  app.post('/sandbox/smartcar/vehicles/:vehicleId/revoke', async (request, reply) => {
    const { vehicleId } = request.params as { vehicleId: string };
    if (!state.vehicles.has(vehicleId)) return reply.code(400).send(unknownVehicle);
    const grants = grantsHolding(vehicleId);
    for (const grant of grants) state.tokens.revokeGrant(grant.id);
    state.vehicleErrorReported({
      vehicleId,
      grantIds: grants.map((grant) => grant.id),
      errors: [
        {
          type: 'CONNECTED_SERVICES_ACCOUNT',
          code: 'AUTHENTICATION_FAILED',
          state: 'ERROR',
          description: "The vehicle owner's connected services credentials are no longer valid.",
          suggestedUserMessage: "Your car's connection has expired. Please connect your car again.",
          docURL: `${DOCS}/connected-services-account-errors#authentication-failed`,
          resolution: { type: 'REAUTHENTICATE' },
          signals: [],
        },
      ],
    });
    return { revokedGrants: grants.length };
  });

  app.post('/sandbox/smartcar/vehicles/:vehicleId/state', async (request, reply) => {
    const { vehicleId } = request.params as { vehicleId: string };
    const wanted = (request.body as { state?: unknown } | null)?.state;
    const vehicle = state.vehicles.get(vehicleId);
    if (!vehicle) return reply.code(400).send(unknownVehicle);
    if (wanted !== 'ONLINE' && !(typeof wanted === 'string' && wanted in STATE_ERRORS)) {
      return reply.code(400).send({
        error: 'invalid_state',
        message: `state is ONLINE or one of ${Object.keys(STATE_ERRORS).join(', ')}`,
      });
    }
    const previous = vehicle.reachability;
    vehicle.reachability = wanted as Reachability;
    // Entering a state reports it; leaving one (to ONLINE or another) reports the old one resolved.
    const errors: Array<Record<string, unknown>> = [];
    if (previous !== 'ONLINE' && previous !== wanted) errors.push(stateError(previous, 'RESOLVED'));
    if (wanted !== 'ONLINE' && wanted !== previous)
      errors.push(stateError(wanted as keyof typeof STATE_ERRORS, 'ERROR'));
    if (errors.length > 0) {
      state.vehicleErrorReported({
        vehicleId,
        grantIds: grantsHolding(vehicleId).map((grant) => grant.id),
        errors,
      });
    }
    return { state: vehicle.reachability };
  });
}

function stateError(code: Exclude<Reachability, 'ONLINE'>, errorState: 'ERROR' | 'RESOLVED') {
  return {
    type: 'VEHICLE_STATE',
    code,
    state: errorState,
    ...STATE_ERRORS[code],
    docURL: `${DOCS}/vehicle-state-errors#${code.toLowerCase().replace(/_/g, '-')}`,
    resolution: { type: 'RETRY_LATER' },
    signals: [],
  };
}
