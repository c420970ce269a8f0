/**
 * A proxied call whose answer tells the vehicle's trouble (High Mobility: the consent removed at the carmaker, or a
 * fleet vehicle's clearance ended; providers/<name> `conditionOfAnswer`) changes the vehicle's state as a webhook
 * would: the report is recorded (vehicle-status/record-conditions.ts) or the clearance updated, every instance's
 * cache and the owner's live streams are told, and the caller gets the answer every later call gets without
 * calling the provider (401 reauth_required with the reconnect URL, or 409 not_cleared).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { AnswerCondition } from '../../providers/provider-adapter.ts';
import type { OwnedVehicle } from '../../repositories/vehicles.ts';
import { loginUrlFor, reauthRequired } from '../../tokens/access-tokens.ts';

export async function recordAnswerCondition(
  app: FastifyInstance,
  request: FastifyRequest,
  vehicle: OwnedVehicle,
  condition: AnswerCondition,
): Promise<never> {
  const endpoint = request.routeOptions.url ?? request.url;
  if (condition.kind === 'clearance') {
    await app.repos.vehicles.setClearanceStatus(vehicle.id, condition.clearanceStatus);
    await app.bus.publish({ kind: 'user', id: vehicle.userId });
    await app.bus.publish({ kind: 'vehicle_status', id: vehicle.userId });
    app.repos.audit.enqueue({
      userId: vehicle.userId,
      vehicleId: vehicle.id,
      clientId: `provider:${vehicle.provider}`,
      action: 'vehicle_status',
      endpoint,
      method: request.method,
      status: 409,
      outcome: `${vehicle.clearanceStatus ?? 'unknown'}->${condition.clearanceStatus}`,
      requestId: `${request.id}:${vehicle.id}`,
    });
    throw new KeyfobError(
      ERROR_CODES.NOT_CLEARED,
      409,
      `this fleet vehicle's clearance is ${condition.clearanceStatus}, not approved`,
      { details: { clearanceStatus: condition.clearanceStatus } },
    );
  }
  const recorded = await app.db.$transaction((tx) =>
    app.conditionRecorder.recordIn(tx, {
      provider: vehicle.provider,
      vehicles: [{ id: vehicle.id, userId: vehicle.userId }],
      reports: [
        {
          type: condition.type,
          code: condition.code,
          state: 'ERROR',
          resolution: 'REAUTHENTICATE',
          userMessage: condition.userMessage,
          signals: [],
          reportedAt: new Date(),
        },
      ],
      source: `call:${request.id}`,
      endpoint,
      method: request.method,
    }),
  );
  await app.conditionRecorder.announce(recorded);
  throw reauthRequired(loginUrlFor(vehicle.provider));
}
