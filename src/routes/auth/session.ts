/**
 * `GET /auth/session`: the enabled providers (for the dashboard's Connect buttons) and what the dashboard may know
 * about the signed-in user: their Keyfob id, their vehicles (provider, masked VIN, granted scopes, the routes they
 * can use, status with the provider's advice and the reconnect URL, what the provider reported) and when the
 * session ends. Never a token, a provider grant id or a full VIN.
 */
import type { FastifyInstance } from 'fastify';
import { personPrincipal } from '../../access/person-scopes.ts';
import { type KeyfobScope, scopeOfRoute } from '../../access/scope-table.ts';
import { CARSXE_VEHICLE_ROUTES } from '../../data-services/carsxe/carsxe-routes.ts';
import { requiredScopes } from '../../proxy/check-scopes.ts';
import type { OwnedVehicle, Reach } from '../../repositories/vehicles.ts';
import { sessionEndsAt } from '../../sessions/session-timeouts.ts';
import { loginUrlFor } from '../../tokens/access-tokens.ts';
import { statusDetails, unavailableSignals } from '../../vehicle-status/vehicle-status.ts';

const vehicleSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'provider',
    'make',
    'model',
    'year',
    'vin',
    'scopes',
    'features',
    'status',
    'statusMessage',
    'conditions',
  ],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    make: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    year: { type: ['integer', 'null'] },
    vin: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    /** The data and command routes this vehicle can use: its provider has them and its connection allows them. */
    features: { type: 'array', items: { type: 'string' } },
    /**
     * active, pending_approval, reauth_required (connect it again: `loginUrl`), revoked, not_cleared (a fleet
     * vehicle, see clearanceStatus), or the car out of reach for now: asleep, unreachable, remote_access_disabled.
     */
    status: { type: 'string' },
    /** The provider's advice for the person about this status (Smartcar's suggestedUserMessage): plain text. */
    statusMessage: { type: ['string', 'null'] },
    /** Where the browser goes to connect this vehicle again, when its status asks for that. */
    loginUrl: { type: 'string' },
    clearanceStatus: { type: ['string', 'null'] },
    /** What its provider reported and has not reported ended (Smartcar VEHICLE_ERROR, High Mobility consent). */
    conditions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'code', 'effect', 'since', 'message', 'signals'],
        properties: {
          type: { type: 'string' },
          code: { type: ['string', 'null'] },
          /** reconnect, vehicle_state, feature (the signals' routes left `features`) or notice. */
          effect: { type: 'string', enum: ['reconnect', 'vehicle_state', 'feature', 'notice'] },
          since: { type: 'string' },
          message: { type: ['string', 'null'] },
          signals: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const providerListSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'displayName'],
    properties: { name: { type: 'string' }, displayName: { type: 'string' } },
  },
} as const;

export const vehicleListSchema = { type: 'array', items: vehicleSchema } as const;

/** The browser-safe view of the vehicles in reach, shared by /auth/session and /api/vehicles. */
export async function browserVehicles(app: FastifyInstance, reach: Reach, callerScopes: readonly KeyfobScope[]) {
  const vehicles = await app.repos.vehicles.listInReach(reach);
  return vehicles.map((vehicle) => {
    const { status, statusMessage, conditions } = statusDetails(vehicle);
    return {
      id: vehicle.id,
      provider: vehicle.provider,
      make: vehicle.make,
      model: vehicle.model,
      year: vehicle.year,
      // Only the last four characters are stored in clear; the rest of a 17-character VIN shows as stars.
      vin: vehicle.vinLast4 ? `${'*'.repeat(13)}${vehicle.vinLast4}` : null,
      scopes: vehicle.scopes,
      features: featuresOf(app, vehicle, callerScopes),
      status,
      statusMessage,
      ...(status === 'reauth_required' ? { loginUrl: loginUrlFor(vehicle.provider) } : {}),
      clearanceStatus: vehicle.clearanceStatus,
      conditions,
    };
  });
}

/**
 * `GET /odometer`, `POST /security`, `GET /specs` ...: the routes this vehicle can use for this caller. A provider
 * route needs the caller's Keyfob scope and the connection's permission; a CarsXE route the caller's scope, CarsXE
 * configured and the vehicle's VIN on record.
 */
function featuresOf(app: FastifyInstance, vehicle: OwnedVehicle, callerScopes: readonly KeyfobScope[]): string[] {
  const adapter = app.providers.get(vehicle.provider);
  if (!adapter) return [];
  const callerMay = (method: string, path: string) =>
    callerScopes.includes(scopeOfRoute(method, `/api/vehicles/:vehicleId${path}`));
  // Routes reading a signal the provider reported the car cannot give now (COMPATIBILITY, PERMISSION).
  const lost = new Set([...unavailableSignals(vehicle)].flatMap((code) => adapter.signalRoutes?.[code] ?? []));
  const provided = adapter.routes
    .filter(
      (route) =>
        !route.batchPaths &&
        callerMay(route.method, route.path) &&
        requiredScopes(route, undefined).every((s) => vehicle.scopes.includes(s)),
    )
    .map((route) => `${route.method} ${route.path}`)
    .filter((feature) => !lost.has(feature));
  const data =
    app.config.carsxe && vehicle.vinLast4
      ? CARSXE_VEHICLE_ROUTES.filter((route) => callerMay('GET', route.path)).map((route) => `GET ${route.path}`)
      : [];
  return [...provided, ...data];
}

/** The enabled providers, in the configured order, as the dashboard offers them. */
export function browserProviders(app: FastifyInstance) {
  return [...app.providers.values()].map((adapter) => ({ name: adapter.name, displayName: adapter.displayName }));
}

export function sessionRoute(app: FastifyInstance) {
  app.get(
    '/session',
    {
      schema: {
        summary: 'who is signed in, the enabled providers and the vehicles, for the dashboard; never a token',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['authenticated'],
            properties: {
              authenticated: { type: 'boolean' },
              providers: providerListSchema,
              /** `oidc`: people sign in at the identity provider first; `provider`: by connecting a car. */
              signIn: { type: 'string', enum: ['oidc', 'provider'] },
              user: {
                type: 'object',
                additionalProperties: false,
                properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
              },
              /** The Keyfob scopes this person holds (README: Scopes). */
              scopes: { type: 'array', items: { type: 'string' } },
              vehicles: vehicleListSchema,
              expiresAt: { type: 'string' },
            },
          },
        },
      },
    },
    async (request) => {
      const { userId, createdAt } = request.session;
      const providers = browserProviders(app);
      const signIn = app.identity ? 'oidc' : 'provider';
      if (!userId || createdAt === undefined) return { authenticated: false, signIn, providers };
      const { idleTimeoutSeconds, absoluteTimeoutSeconds } = app.config.session;
      const expiresAt = sessionEndsAt(request.session, idleTimeoutSeconds * 1000, absoluteTimeoutSeconds * 1000);
      const person = personPrincipal(request.session, app.config.access);
      return {
        authenticated: true,
        signIn,
        providers,
        user: {
          id: userId,
          ...(request.session.displayName ? { name: request.session.displayName } : {}),
          ...(request.session.email ? { email: request.session.email } : {}),
        },
        scopes: [...person.scopes],
        vehicles: await browserVehicles(app, { userId }, person.scopes),
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
  );
}
