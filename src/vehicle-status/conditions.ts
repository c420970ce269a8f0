/**
 * What a provider's report of trouble with a vehicle means for the person, by Smartcar's VEHICLE_ERROR categories
 * (the same words are used for High Mobility's consent answers):
 * - `reconnect`: the connection cannot be used until the owner connects the car again (an account error at the
 *   carmaker, or any error whose resolution is REAUTHENTICATE but a missing permission). Keyfob then answers
 *   `reauth_required` with the reconnect URL and calls the provider no more, exactly as after a refused refresh;
 * - `vehicle_state`: the car is there but not reachable now (asleep, offline, remote access off). Calls still go
 *   through (the provider may wake it); the person is told, and no reconnect is asked for;
 * - `feature`: some signals cannot be read (the car or the carmaker lacks them, or the consent lacks a
 *   permission): the routes that read them leave the vehicle's `features`;
 * - `notice`: a kind Keyfob does not know: kept and shown, changing nothing.
 * @see ../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks: VEHICLE_ERROR)
 */

export type ConditionEffect = 'reconnect' | 'vehicle_state' | 'feature' | 'notice';

/** One report about one kind of trouble, as a provider adapter or the webhook reader parsed it. */
export interface ReportedCondition {
  type: string;
  /** The provider's code, or "" where it gives none. */
  code: string;
  state: 'ERROR' | 'RESOLVED';
  resolution: string | null;
  userMessage: string | null;
  signals: string[];
  reportedAt: Date;
}

/** A condition as stored and read back (ERROR ones only are read for the status). */
export interface VehicleCondition {
  type: string;
  code: string;
  resolution: string | null;
  userMessage: string | null;
  signals: string[];
  reportedAt: Date;
}

/** The vehicle states Smartcar names, as Keyfob shows them; another VEHICLE_STATE code shows as `unreachable`. */
const VEHICLE_STATES: Record<string, string> = {
  ASLEEP: 'asleep',
  UNREACHABLE: 'unreachable',
  REMOTE_ACCESS_DISABLED: 'remote_access_disabled',
};

export function effectOf(condition: Pick<VehicleCondition, 'type' | 'resolution'>): ConditionEffect {
  if (condition.type === 'CONNECTED_SERVICES_ACCOUNT' || condition.type === 'CONSENT') return 'reconnect';
  if (condition.type === 'VEHICLE_STATE') return 'vehicle_state';
  // A missing permission names its signals: only they are lost, so the rest of the car keeps working (the
  // dashboard offers a reconnect to grant it).
  if (condition.type === 'COMPATIBILITY' || condition.type === 'PERMISSION') return 'feature';
  if (condition.resolution === 'REAUTHENTICATE') return 'reconnect';
  return 'notice';
}

/** `asleep`, `unreachable` or `remote_access_disabled` for a vehicle-state condition. */
export function vehicleStateOf(condition: Pick<VehicleCondition, 'code'>): string {
  return VEHICLE_STATES[condition.code] ?? 'unreachable';
}

/** Whether the vehicle's connection cannot be used until it is connected again. */
export function needsReconnect(conditions: readonly Pick<VehicleCondition, 'type' | 'resolution'>[]): boolean {
  return conditions.some((condition) => effectOf(condition) === 'reconnect');
}

/** A stored row (or the proxy query's JSON of one) as a condition. */
export function conditionOfRow(row: {
  type: string;
  code: string;
  resolution: string | null;
  userMessage: string | null;
  signals: string[] | null;
  reportedAt: Date | string;
}): VehicleCondition {
  return {
    type: row.type,
    code: row.code,
    resolution: row.resolution,
    userMessage: row.userMessage,
    signals: row.signals ?? [],
    reportedAt: new Date(row.reportedAt),
  };
}
