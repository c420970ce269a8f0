/**
 * The proxy's route table for Smartcar v2: every vehicle endpoint of the reference, with its permission.
 * A path not in this table is a 404 at Keyfob and never reaches Smartcar.
 */
import type { ProxyRoute } from '../provider-adapter.ts';

const vehicle = (suffix: string) => (id: string) => `/vehicles/${encodeURIComponent(id)}${suffix}`;

const actionBody = (actions: string[]) => ({
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: { action: { type: 'string', enum: actions } },
});

const read = (path: string, scope: string | null): ProxyRoute => ({
  method: 'GET',
  path,
  upstreamPath: vehicle(path === '/attributes' ? '' : path),
  scope,
});

export const SMARTCAR_ROUTES: readonly ProxyRoute[] = [
  read('/attributes', 'read_vehicle_info'),
  read('/vin', 'read_vin'),
  read('/odometer', 'read_odometer'),
  read('/location', 'read_location'),
  read('/battery', 'read_battery'),
  read('/charge', 'read_charge'),
  {
    method: 'POST',
    path: '/charge',
    upstreamPath: vehicle('/charge'),
    scope: 'control_charge',
    body: actionBody(['START', 'STOP']),
  },
  read('/fuel', 'read_fuel'),
  read('/engine/oil', 'read_engine_oil'),
  read('/tires/pressure', 'read_tires'),
  read('/security', 'read_security'),
  {
    method: 'POST',
    path: '/security',
    upstreamPath: vehicle('/security'),
    scope: 'control_security',
    body: actionBody(['LOCK', 'UNLOCK']),
  },
  read('/permissions', null),
  {
    method: 'POST',
    path: '/batch',
    upstreamPath: vehicle('/batch'),
    scope: null,
    body: {
      type: 'object',
      required: ['requests'],
      additionalProperties: false,
      properties: {
        requests: {
          type: 'array',
          minItems: 1,
          maxItems: 20,
          items: {
            type: 'object',
            required: ['path'],
            additionalProperties: false,
            properties: { path: { type: 'string', maxLength: 64 } },
          },
        },
      },
    },
    batchPaths: (body) => ((body as { requests: Array<{ path: string }> }).requests ?? []).map((item) => item.path),
  },
];

/** The GET routes a batch may name, keyed by their Smartcar sub-path (`/odometer`), for the scope check. */
export const BATCHABLE = new Map(
  SMARTCAR_ROUTES.filter((route) => route.method === 'GET' && route.path !== '/permissions').map((route) => [
    route.path === '/attributes' ? '/' : route.path,
    route,
  ]),
);
