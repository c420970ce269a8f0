/**
 * The v2 data endpoints of one vehicle as a table: path, permission, and how to read (or change) the state.
 * The route handlers and the batch endpoint both go through this table, so a batch obeys the same permissions.
 */
import type { VehicleState } from '../simulation/vehicle-state.ts';

export type UnitSystem = 'metric' | 'imperial';

const KM_TO_MILES = 0.621371;
const KPA_TO_PSI = 0.145038;
const LITERS_TO_GALLONS = 0.264172;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const distance = (km: number, units: UnitSystem) => round(units === 'imperial' ? km * KM_TO_MILES : km);

/** A result of reading or acting on a vehicle: a body, or a Smartcar error to answer. */
export type EndpointResult =
  | { ok: true; body: unknown }
  | { ok: false; status: number; type: string; code: string | null; description: string };

export const notCapable = (description: string): EndpointResult => ({
  ok: false,
  status: 501,
  type: 'COMPATIBILITY',
  code: 'SMARTCAR_NOT_CAPABLE',
  description,
});

export interface DataEndpoint {
  method: 'GET' | 'POST';
  path: string;
  permission: string | null;
  run(vehicle: VehicleState, units: UnitSystem, body: unknown): EndpointResult;
}

function action(body: unknown, allowed: string[]): string | undefined {
  const value = (body as { action?: unknown } | null)?.action;
  return typeof value === 'string' && allowed.includes(value) ? value : undefined;
}

const invalidAction = (allowed: string[]): EndpointResult => ({
  ok: false,
  status: 400,
  type: 'VALIDATION',
  code: 'PARAMETER',
  description: `Request body must be { "action": ${allowed.map((a) => `"${a}"`).join(' or ')} }.`,
});

export const DATA_ENDPOINTS: DataEndpoint[] = [
  {
    method: 'GET',
    path: '',
    permission: 'read_vehicle_info',
    run: (v) => ({ ok: true, body: { id: v.spec.id, make: v.spec.make, model: v.spec.model, year: v.spec.year } }),
  },
  { method: 'GET', path: '/vin', permission: 'read_vin', run: (v) => ({ ok: true, body: { vin: v.spec.vin } }) },
  {
    method: 'GET',
    path: '/odometer',
    permission: 'read_odometer',
    run: (v, units) => ({ ok: true, body: { distance: distance(v.odometerKm, units) } }),
  },
  {
    method: 'GET',
    path: '/location',
    permission: 'read_location',
    run: (v) => ({ ok: true, body: { latitude: round(v.latitude, 6), longitude: round(v.longitude, 6) } }),
  },
  {
    method: 'GET',
    path: '/battery',
    permission: 'read_battery',
    run: (v, units) =>
      v.isElectric
        ? {
            ok: true,
            body: { range: distance(v.energy * v.spec.rangeKmAtFull, units), percentRemaining: round(v.energy) },
          }
        : notCapable('This vehicle has no traction battery.'),
  },
  {
    method: 'GET',
    path: '/charge',
    permission: 'read_charge',
    run: (v) =>
      v.isElectric
        ? { ok: true, body: { isPluggedIn: v.isPluggedIn, state: v.chargeState } }
        : notCapable('This vehicle cannot charge.'),
  },
  {
    method: 'POST',
    path: '/charge',
    permission: 'control_charge',
    run: (v, _units, body) => {
      if (!v.isElectric) return notCapable('This vehicle cannot charge.');
      const chosen = action(body, ['START', 'STOP']);
      if (!chosen) return invalidAction(['START', 'STOP']);
      v.setCharging(chosen === 'START');
      return { ok: true, body: { status: 'success' } };
    },
  },
  {
    method: 'GET',
    path: '/fuel',
    permission: 'read_fuel',
    run: (v, units) => {
      if (v.isElectric) return notCapable('This vehicle has no fuel tank.');
      const liters = v.energy * (v.spec.tankLiters ?? 50);
      return {
        ok: true,
        body: {
          range: distance(v.energy * v.spec.rangeKmAtFull, units),
          percentRemaining: round(v.energy),
          amountRemaining: round(units === 'imperial' ? liters * LITERS_TO_GALLONS : liters),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/engine/oil',
    permission: 'read_engine_oil',
    run: (v) =>
      v.spec.oilLifeRemaining === null
        ? notCapable('This vehicle has no engine oil.')
        : { ok: true, body: { lifeRemaining: v.spec.oilLifeRemaining } },
  },
  {
    method: 'GET',
    path: '/tires/pressure',
    permission: 'read_tires',
    run: (v, units) => {
      const convert = (kpa: number) => round(units === 'imperial' ? kpa * KPA_TO_PSI : kpa, 1);
      const t = v.spec.tiresKpa;
      return {
        ok: true,
        body: {
          frontLeft: convert(t.frontLeft),
          frontRight: convert(t.frontRight),
          backLeft: convert(t.backLeft),
          backRight: convert(t.backRight),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/security',
    permission: 'read_security',
    run: (v) => {
      const status = v.isLocked ? 'CLOSED' : 'UNKNOWN';
      return {
        ok: true,
        body: {
          isLocked: v.isLocked,
          doors: ['FRONT_LEFT', 'FRONT_RIGHT', 'BACK_LEFT', 'BACK_RIGHT'].map((type) => ({ type, status })),
          windows: ['FRONT_LEFT', 'FRONT_RIGHT'].map((type) => ({ type, status: 'CLOSED' })),
          sunroof: [{ type: 'SUNROOF', status: 'CLOSED' }],
          storage: [
            { type: 'FRONT', status: 'CLOSED' },
            { type: 'REAR', status: 'CLOSED' },
          ],
          chargingPort: v.isElectric ? [{ type: 'CHARGING_PORT', status: v.isPluggedIn ? 'OPEN' : 'CLOSED' }] : [],
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/security',
    permission: 'control_security',
    run: (v, _units, body) => {
      const chosen = action(body, ['LOCK', 'UNLOCK']);
      if (!chosen) return invalidAction(['LOCK', 'UNLOCK']);
      v.isLocked = chosen === 'LOCK';
      return { ok: true, body: { message: `Successfully sent request to vehicle`, status: 'success' } };
    },
  },
];

export function findEndpoint(method: string, path: string): DataEndpoint | undefined {
  return DATA_ENDPOINTS.find((endpoint) => endpoint.method === method && endpoint.path === path);
}
