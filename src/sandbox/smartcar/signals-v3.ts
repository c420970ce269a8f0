/**
 * Smartcar v3 signals of a sandbox vehicle: code, permission, and the value now. The reference names the v3
 * endpoints but not each signal's exact body; the shape here (`{ data: { id, type: "signal", attributes: { code,
 * name, group, body }, meta } }`) is the sandbox's reading of it, and Keyfob's v3 route table is written against it.
 */
import type { VehicleState } from '../simulation/vehicle-state.ts';

export interface SignalDefinition {
  code: string;
  name: string;
  group: string;
  permission: string;
  available(vehicle: VehicleState): boolean;
  body(vehicle: VehicleState): Record<string, unknown>;
}

const always = () => true;

export const SIGNALS: SignalDefinition[] = [
  {
    code: 'odometer-traveleddistance',
    name: 'TraveledDistance',
    group: 'Odometer',
    permission: 'read_odometer',
    available: always,
    body: (v) => ({ value: Number(v.odometerKm.toFixed(2)), unit: 'km' }),
  },
  {
    code: 'location-preciselocation',
    name: 'PreciseLocation',
    group: 'Location',
    permission: 'read_location',
    available: always,
    body: (v) => ({ latitude: Number(v.latitude.toFixed(6)), longitude: Number(v.longitude.toFixed(6)) }),
  },
  {
    code: 'tractionbattery-stateofcharge',
    name: 'StateOfCharge',
    group: 'TractionBattery',
    permission: 'read_battery',
    available: (v) => v.isElectric,
    body: (v) => ({ value: Math.round(v.energy * 100), unit: 'percent' }),
  },
  {
    code: 'tractionbattery-range',
    name: 'Range',
    group: 'TractionBattery',
    permission: 'read_battery',
    available: (v) => v.isElectric,
    body: (v) => ({ value: Math.round(v.energy * v.spec.rangeKmAtFull), unit: 'km' }),
  },
  {
    code: 'internalcombustionengine-fuellevel',
    name: 'FuelLevel',
    group: 'InternalCombustionEngine',
    permission: 'read_fuel',
    available: (v) => !v.isElectric,
    body: (v) => ({ value: Math.round(v.energy * 100), unit: 'percent' }),
  },
  {
    code: 'internalcombustionengine-range',
    name: 'Range',
    group: 'InternalCombustionEngine',
    permission: 'read_fuel',
    available: (v) => !v.isElectric,
    body: (v) => ({ value: Math.round(v.energy * v.spec.rangeKmAtFull), unit: 'km' }),
  },
  {
    code: 'closure-islocked',
    name: 'IsLocked',
    group: 'Closure',
    permission: 'read_security',
    available: always,
    body: (v) => ({ value: v.isLocked }),
  },
  {
    code: 'charge-ischarging',
    name: 'IsCharging',
    group: 'Charge',
    permission: 'read_charge',
    available: (v) => v.isElectric,
    body: (v) => ({ value: v.chargeState === 'CHARGING' }),
  },
];

export function signalResource(signal: SignalDefinition, vehicle: VehicleState, now: number) {
  return {
    id: signal.code,
    type: 'signal',
    attributes: { code: signal.code, name: signal.name, group: signal.group, body: signal.body(vehicle) },
    meta: { oemUpdatedAt: new Date(vehicle.updatedAt).toISOString(), retrievedAt: new Date(now).toISOString() },
  };
}
