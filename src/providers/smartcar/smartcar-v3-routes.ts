/**
 * The proxy's route table in Smartcar v3 mode (SMARTCAR_API_VERSION=3): the dashboard's routes mapped to v3
 * signals and commands, called with the application token and the user's `sc-user-id`. Each answer is reshaped
 * into the v2 body the dashboard reads, so the dashboard works the same in both modes.
 */
import type { ProxyRoute } from '../provider-adapter.ts';

interface SignalResource {
  attributes: { code: string; body: Record<string, unknown> };
}

const vehicle = (suffix: string) => (id: string) => `/vehicles/${encodeURIComponent(id)}${suffix}`;
const signalBody = (answer: unknown) => (answer as { data: SignalResource }).data.attributes.body;
const fromList = (answer: unknown, code: string) =>
  (answer as { data: SignalResource[] }).data.find((signal) => signal.attributes.code === code)?.attributes.body;

const signal = (
  path: string,
  code: string,
  scope: string,
  transform: (body: Record<string, unknown>) => unknown,
): ProxyRoute => ({
  method: 'GET',
  path,
  upstreamPath: vehicle(`/signals/${code}`),
  scope,
  credentials: 'application',
  transform: (answer) => transform(signalBody(answer)),
});

export const SMARTCAR_V3_ROUTES: readonly ProxyRoute[] = [
  {
    method: 'GET',
    path: '/attributes',
    upstreamPath: vehicle(''),
    scope: 'read_vehicle_info',
    credentials: 'application',
    transform: (answer) => {
      const { id, attributes } = (answer as { data: { id: string; attributes: Record<string, unknown> } }).data;
      return { id, make: attributes.make, model: attributes.model, year: attributes.year };
    },
  },
  signal('/odometer', 'odometer-traveleddistance', 'read_odometer', (body) => ({ distance: body.value })),
  signal('/location', 'location-preciselocation', 'read_location', (body) => ({
    latitude: body.latitude,
    longitude: body.longitude,
  })),
  {
    method: 'GET',
    path: '/battery',
    upstreamPath: vehicle('/signals'),
    scope: 'read_battery',
    credentials: 'application',
    transform: (answer) => ({
      percentRemaining: Number(fromList(answer, 'tractionbattery-stateofcharge')?.value ?? 0) / 100,
      range: fromList(answer, 'tractionbattery-range')?.value ?? null,
    }),
  },
  {
    method: 'GET',
    path: '/fuel',
    upstreamPath: vehicle('/signals'),
    scope: 'read_fuel',
    credentials: 'application',
    transform: (answer) => ({
      percentRemaining: Number(fromList(answer, 'internalcombustionengine-fuellevel')?.value ?? 0) / 100,
      range: fromList(answer, 'internalcombustionengine-range')?.value ?? null,
      amountRemaining: null,
    }),
  },
  signal('/charge', 'charge-ischarging', 'read_charge', (body) => ({
    state: body.value ? 'CHARGING' : 'NOT_CHARGING',
  })),
  signal('/security', 'closure-islocked', 'read_security', (body) => ({ isLocked: body.value })),
  {
    method: 'POST',
    path: '/security',
    upstreamPath: (id, body) =>
      vehicle(`/commands/${(body as { action: string }).action === 'LOCK' ? 'lock' : 'unlock'}`)(id),
    scope: 'control_security',
    credentials: 'application',
    omitBody: true,
    body: {
      type: 'object',
      required: ['action'],
      additionalProperties: false,
      properties: { action: { type: 'string', enum: ['LOCK', 'UNLOCK'] } },
    },
    transform: () => ({ status: 'success' }),
  },
];
