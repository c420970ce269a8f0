/**
 * A vehicle's status as the person sees it, from its connection first and then what its provider reported:
 * - the connection's own state wins: `reauth_required` or `revoked` (a refused refresh, a retired grant);
 * - a fleet vehicle: `active` once cleared, `pending_approval` while clearance is pending, `not_cleared` otherwise;
 * - a reported trouble that needs the owner (conditions.ts `reconnect`): `reauth_required`;
 * - a consent the carmaker has not confirmed yet: `pending_approval`;
 * - the car asleep, offline or with remote access off: `asleep`, `unreachable`, `remote_access_disabled`;
 * - otherwise `active`.
 * The message shown with it is the provider's own advice for the person (Smartcar's `suggestedUserMessage`) for the
 * condition that decided the status, as plain text: the browser sets it as text, never as HTML.
 */
import { effectOf, type VehicleCondition, vehicleStateOf } from './conditions.ts';

/** What a status is made of: the vehicle's connection and its open troubles (repositories/vehicles.ts reads them). */
export interface StatusInput {
  grantStatus: 'active' | 'reauth_required' | 'revoked';
  connectionKind: 'user' | 'fleet';
  clearanceStatus: string | null;
  pendingApproval: boolean;
  conditions: VehicleCondition[];
}

/** The status and the condition that decided it, if one did. */
function decide(vehicle: StatusInput): { status: string; by?: VehicleCondition } {
  const reconnect = vehicle.conditions.find((condition) => effectOf(condition) === 'reconnect');
  // A refused refresh and the provider's report often tell the same story: the report has words for the person.
  if (vehicle.grantStatus !== 'active') return { status: vehicle.grantStatus, ...(reconnect ? { by: reconnect } : {}) };
  if (vehicle.connectionKind === 'fleet') {
    if (vehicle.clearanceStatus === 'approved') return { status: 'active' };
    return { status: vehicle.clearanceStatus === 'pending' ? 'pending_approval' : 'not_cleared' };
  }
  if (reconnect) return { status: 'reauth_required', by: reconnect };
  if (vehicle.pendingApproval) return { status: 'pending_approval' };
  const state = vehicle.conditions.find((condition) => effectOf(condition) === 'vehicle_state');
  if (state) return { status: vehicleStateOf(state), by: state };
  return { status: 'active' };
}

export function statusOf(vehicle: StatusInput): string {
  return decide(vehicle).status;
}

/** What the browser is told besides the status: the provider's advice, and each trouble still open. */
export function statusDetails(vehicle: StatusInput) {
  const { status, by } = decide(vehicle);
  return {
    status,
    statusMessage: by?.userMessage ?? null,
    conditions: vehicle.conditions.map((condition) => ({
      type: condition.type,
      code: condition.code || null,
      effect: effectOf(condition),
      since: condition.reportedAt.toISOString(),
      message: condition.userMessage,
      signals: condition.signals,
    })),
  };
}

/** The signals the car cannot give now (COMPATIBILITY and PERMISSION reports): their routes leave `features`. */
export function unavailableSignals(vehicle: Pick<StatusInput, 'conditions'>): Set<string> {
  return new Set(vehicle.conditions.filter((condition) => effectOf(condition) === 'feature').flatMap((c) => c.signals));
}
