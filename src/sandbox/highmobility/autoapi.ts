/**
 * A simulated car's state as High Mobility's Auto API level 13 answer: `{ request_id, vin, brand, <capability>:
 * { <property>: { data, timestamp } } }`, percentages 0 to 1, lengths `{ value, unit }`. Cars in the Americas
 * report miles and the rest kilometres, so clients must convert. A property a test made fail carries `failure`
 * instead of `data`, as the carmaker's errors do; one such entry is always present (`diagnostics.engine_oil_life`,
 * an OEM error), so every client meets one.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Vehicle data)
 */
import { randomUUID } from 'node:crypto';
import type { VehicleState } from '../simulation/vehicle-state.ts';

const KM_TO_MILES = 0.621371;

export function autoApiAnswer(vehicle: VehicleState, brand: string, failures: Map<string, string>) {
  const timestamp = new Date(vehicle.updatedAt).toISOString();
  const miles = vehicle.spec.location.longitude < -30;
  const length = (km: number) =>
    miles
      ? { value: Number((km * KM_TO_MILES).toFixed(1)), unit: 'miles' }
      : { value: Number(km.toFixed(1)), unit: 'kilometers' };
  const value = (capability: string, property: string, data: unknown) => {
    const reason = failures.get(`${vehicle.spec.vin} ${capability}.${property}`);
    return reason
      ? { timestamp, failure: { reason, description: `The carmaker could not read ${property}` } }
      : { timestamp, data };
  };
  const range = vehicle.energy * vehicle.spec.rangeKmAtFull;
  const answer: Record<string, unknown> = {
    request_id: randomUUID(),
    vin: vehicle.spec.vin,
    brand,
    diagnostics: {
      odometer: value('diagnostics', 'odometer', length(vehicle.odometerKm)),
      engine_oil_life: { timestamp, failure: { reason: 'oem_error', description: 'Not available from the carmaker' } },
      ...(vehicle.isElectric
        ? {}
        : {
            fuel_level: value('diagnostics', 'fuel_level', Number(vehicle.energy.toFixed(2))),
            estimated_range: value('diagnostics', 'estimated_range', length(range)),
          }),
    },
    vehicle_location: {
      coordinates: value('vehicle_location', 'coordinates', {
        latitude: Number(vehicle.latitude.toFixed(6)),
        longitude: Number(vehicle.longitude.toFixed(6)),
      }),
    },
    doors: {
      locks_state: value('doors', 'locks_state', vehicle.isLocked ? 'locked' : 'unlocked'),
      locks: ['front_left', 'front_right', 'rear_left', 'rear_right'].map((location) => ({
        timestamp,
        data: { location, lock_state: vehicle.isLocked ? 'locked' : 'unlocked' },
      })),
    },
  };
  if (vehicle.isElectric) {
    answer.charging = {
      battery_level: value('charging', 'battery_level', Number(vehicle.energy.toFixed(2))),
      estimated_range: value('charging', 'estimated_range', length(range)),
      status: value(
        'charging',
        'status',
        vehicle.chargeState === 'CHARGING'
          ? 'charging'
          : vehicle.chargeState === 'FULLY_CHARGED'
            ? 'charging_complete'
            : 'not_charging',
      ),
      plugged_in: value('charging', 'plugged_in', vehicle.isPluggedIn ? 'plugged_in' : 'disconnected'),
    };
  }
  return answer;
}
