/**
 * `GET /auth/session`: the enabled providers (for the dashboard's Connect buttons) and what the dashboard may know
 * about the signed-in user: their Keyfob id, their vehicles (provider, masked VIN, granted scopes, the routes they
 * can use, status) and when the session ends. Never a token, a provider grant id or a full VIN.
 */
import type { FastifyInstance } from 'fastify';
import { personPrincipal } from '../../access/person-scopes.ts';
import { type KeyfobScope, scopeOfRoute } from '../../access/scope-table.ts';
import { CARSXE_VEHICLE_ROUTES } from '../../data-services/carsxe/carsxe-routes.ts';
import { requiredScopes } from '../../proxy/check-scopes.ts';
import type { OwnedVehicle, Reach } from '../../repositories/vehicles.ts';
import { sessionEndsAt } from '../../sessions/session-timeouts.ts';

const vehicleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'make', 'model', 'year', 'vin', 'scopes', 'features', 'status'],
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
    /** active, pending_approval, reauth_required, revoked, or not_cleared (a fleet vehicle, see clearanceStatus). */
    status: { type: 'string' },
    clearanceStatus: { type: ['string', 'null'] },
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

/** What the browser sees as a vehicle's status: the connection's, the carmaker's pending consent, or clearance. */
function statusOf(vehicle: OwnedVehicle): string {
  if (vehicle.grantStatus !== 'active') return vehicle.grantStatus;
  if (vehicle.connectionKind === 'fleet') {
    if (vehicle.clearanceStatus === 'approved') return 'active';
    return vehicle.clearanceStatus === 'pending' ? 'pending_approval' : 'not_cleared';
  }
  return vehicle.pendingApproval ? 'pending_approval' : 'active';
}

export const vehicleListSchema = { type: 'array', items: vehicleSchema } as const;

/** The browser-safe view of the vehicles in reach, shared by /auth/session and /api/vehicles. */
export async function browserVehicles(app: FastifyInstance, reach: Reach, callerScopes: readonly KeyfobScope[]) {
  const vehicles = await app.repos.vehicles.listInReach(reach);
  return vehicles.map((vehicle) => ({
    id: vehicle.id,
    provider: vehicle.provider,
    make: vehicle.make,
    model: vehicle.model,
    year: vehicle.year,
    // Only the last four characters are stored in clear; the rest of a 17-character VIN shows as stars.
    vin: vehicle.vinLast4 ? `${'*'.repeat(13)}${vehicle.vinLast4}` : null,
    scopes: vehicle.scopes,
    features: featuresOf(app, vehicle, callerScopes),
    status: statusOf(vehicle),
    clearanceStatus: vehicle.clearanceStatus,
  }));
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
  const provided = adapter.routes
    .filter(
      (route) =>
        !route.batchPaths &&
        callerMay(route.method, route.path) &&
        requiredScopes(route, undefined).every((s) => vehicle.scopes.includes(s)),
    )
    .map((route) => `${route.method} ${route.path}`);
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
