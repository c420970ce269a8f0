/**
 * Erasing a user (GDPR article 17), in the order that leaves nothing behind if it stops half-way:
 * 1. every session of theirs ends, on every instance (nothing new starts while the rest happens);
 * 2. the erasure is recorded in the ledger outside the database, durably: this is the point of no return. If a
 *    later step fails, or a backup from before is restored, the next start finishes the erasure (apply-ledger.ts);
 *    if the ledger cannot be written, nothing else has changed and the answer says so (503);
 * 3. every connection is disconnected at its provider, best effort, each outcome recorded (a provider that is down
 *    does not keep a person from being forgotten; the consent then ends when its tokens expire unused);
 * 4. one transaction destroys their data key and deletes their rows and audit trail, recording only the pseudonym,
 *    the time, who asked and the disconnection outcomes;
 * 5. every instance drops what it cached of them, and sessions are ended once more (a sign-in that raced step 1).
 * Provider calls happen before the transaction: no connection is held while a provider answers.
 */
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import type { OwnedVehicle } from '../repositories/vehicles.ts';
import type { ErasureLedger } from './erasure-ledger.ts';
import { pseudonymOf } from './pseudonym.ts';

export interface ErasureReport {
  pseudonym: string;
  erasedAt: string;
  requestedBy: string;
  disconnections: Array<{ provider: string; outcome: string }>;
  sessionsEnded: number;
}

/** Who asked: the person themselves, or an operator (`npm run forget`). */
export type ErasureRequester = 'user' | 'operator';

async function disconnectAtProvider(app: FastifyInstance, vehicle: OwnedVehicle): Promise<string> {
  if (vehicle.connectionKind === 'fleet') return 'fleet_clearance_left_to_operator';
  if (vehicle.grantStatus !== 'active') return `not_needed_${vehicle.grantStatus}`;
  try {
    const adapter = app.providerFor(vehicle.provider);
    // The key the provider addresses the vehicle by: its own id, or (High Mobility) the VIN.
    const vehicleKey =
      adapter.vehicleKey === 'providerVehicleId' ? vehicle.providerVehicleId : app.repos.vehicles.revealVin(vehicle);
    if (!vehicleKey) return 'failed_no_vin_on_record';
    const token = await app.accessTokens.forGrant(vehicle.grantId, { log: app.log });
    const current = await app.repos.grants.findTokens(vehicle.grantId);
    await adapter.disconnect({ accessToken: token, refreshToken: current?.refreshToken ?? null, vehicleKey });
    return 'disconnected';
  } catch (error) {
    // Only the kind of failure: a provider's error text could name the vehicle.
    const code = (error as { code?: unknown }).code;
    return `failed_${typeof code === 'string' ? code : 'error'}`;
  }
}

export function createEraser(app: FastifyInstance, ledger: ErasureLedger) {
  return {
    /** Erases the user; null when there is no such user. */
    async erase(userId: string, requestedBy: ErasureRequester): Promise<ErasureReport | null> {
      if (!(await app.repos.users.exists(userId))) return null;
      let sessionsEnded = await app.sessions.endAllOf(userId);
      const pseudonym = pseudonymOf(userId);
      const erasedAt = new Date();
      try {
        await ledger.record({ pseudonym, erasedAt: erasedAt.toISOString(), requestedBy });
      } catch (cause) {
        throw new KeyfobError(
          ERROR_CODES.ERASURE_LEDGER_UNAVAILABLE,
          503,
          'the erasure could not be recorded (ERASURE_LEDGER_DIR is not writable); nothing was erased, try again',
          { cause, expose: true, logDetail: (cause as Error).message },
        );
      }
      const vehicles = await app.repos.vehicles.listInReach({ userId });
      const disconnections: ErasureReport['disconnections'] = [];
      for (const vehicle of vehicles) {
        disconnections.push({ provider: vehicle.provider, outcome: await disconnectAtProvider(app, vehicle) });
      }
      await app.repos.erasures.eraseRows(userId, { pseudonym, erasedAt, requestedBy, disconnections });
      await app.bus.publish({ kind: 'user', id: userId });
      sessionsEnded += await app.sessions.endAllOf(userId);
      app.log.info({ pseudonym, requestedBy, connections: disconnections.length }, 'user erased');
      return { pseudonym, erasedAt: erasedAt.toISOString(), requestedBy, disconnections, sessionsEnded };
    },
  };
}

export type Eraser = ReturnType<typeof createEraser>;
