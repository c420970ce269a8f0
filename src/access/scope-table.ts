/**
 * Keyfob's own scopes: one table, one scope per `/api` route, named as the OAuth-for-vehicle-APIs guide names them
 * (`vehicle.read_spec` ...), with the routes Keyfob adds named in the same style. Signed-in people hold scopes by
 * configuration (`USER_SCOPES`) or by a claim of their identity provider (`OIDC_SCOPES_CLAIM`); machine clients by
 * the `scope` claim of their access token. A vehicle provider's own permission (a Smartcar grant without
 * `read_location`) is checked as well: both must allow a call.
 *
 * `maxTokenLifetimeSeconds` is the longest-lived machine access token (its `exp` minus `iat`) a route of that scope
 * accepts: the more sensitive the data, the shorter a stolen token stays useful (`MACHINE_ENFORCE_TOKEN_LIFETIME`).
 * @see ../../../shared/reference/vehicle-apis.md (Scope model from the OAuth-for-vehicle-APIs guide)
 */

export type Sensitivity = 'low' | 'medium' | 'high';

export interface ScopeDefinition {
  scope: string;
  /** The routes it opens, as the README shows them. */
  routes: readonly string[];
  sensitivity: Sensitivity;
  /** What the scope allows, for people reading the table. */
  description: string;
}

const LIFETIME_BY_SENSITIVITY: Record<Sensitivity, number> = { low: 86_400, medium: 3_600, high: 900 };

export const SCOPE_TABLE = [
  {
    scope: 'vehicle.read_list',
    routes: ['GET /api/vehicles'],
    sensitivity: 'low',
    description: 'list the vehicles in reach (make, model, year, last four VIN characters)',
  },
  {
    scope: 'vehicle.read_spec',
    routes: [
      'GET /api/vehicles/:vehicleId/attributes',
      'GET /api/vehicles/:vehicleId/permissions',
      'GET /api/vehicles/:vehicleId/specs',
      'GET /api/vin/:vin/specs',
    ],
    sensitivity: 'low',
    description: "the vehicle's make, model, specification and the permissions of its connection",
  },
  {
    scope: 'vehicle.read_status',
    routes: [
      'GET /api/vehicles/:vehicleId/odometer',
      'GET /api/vehicles/:vehicleId/battery',
      'GET /api/vehicles/:vehicleId/charge',
      'GET /api/vehicles/:vehicleId/fuel',
      'GET /api/vehicles/:vehicleId/engine/oil',
      'GET /api/vehicles/:vehicleId/tires/pressure',
      'GET /api/vehicles/:vehicleId/security',
      'POST /api/vehicles/:vehicleId/batch',
      'GET /api/vehicles/:vehicleId/trends',
      'GET /api/events',
    ],
    sensitivity: 'medium',
    description:
      'odometer, battery, charge, fuel, oil, tyres and lock state, their history and the live stream (a batch also needs each read it names)',
  },
  {
    scope: 'vehicle.read_recalls',
    routes: ['GET /api/vehicles/:vehicleId/recalls', 'GET /api/vin/:vin/recalls'],
    sensitivity: 'medium',
    description: 'open safety recalls',
  },
  {
    scope: 'vehicle.read_valuation',
    routes: ['GET /api/vehicles/:vehicleId/market-value', 'GET /api/vin/:vin/market-value'],
    sensitivity: 'medium',
    description: 'market value estimates',
  },
  {
    scope: 'vehicle.read_history',
    routes: ['GET /api/vehicles/:vehicleId/history', 'GET /api/vin/:vin/history'],
    sensitivity: 'high',
    description: 'title, insurance, salvage and ownership history',
  },
  {
    scope: 'vehicle.read_obd',
    routes: ['GET /api/obd-codes/:code'],
    sensitivity: 'high',
    description: 'decoding of diagnostic trouble codes',
  },
  {
    scope: 'vehicle.read_vin',
    routes: ['GET /api/vehicles/:vehicleId/vin'],
    sensitivity: 'high',
    description: 'the full VIN',
  },
  {
    scope: 'vehicle.read_location',
    routes: ['GET /api/vehicles/:vehicleId/location'],
    sensitivity: 'high',
    description: "the vehicle's position",
  },
  {
    scope: 'vehicle.write_command',
    routes: ['POST /api/vehicles/:vehicleId/security', 'POST /api/vehicles/:vehicleId/charge'],
    sensitivity: 'high',
    description: 'lock, unlock, start and stop charging',
  },
  {
    scope: 'vehicle.write_connection',
    routes: ['DELETE /api/vehicles/:vehicleId'],
    sensitivity: 'high',
    description: 'disconnect a vehicle (its consent ends at the provider)',
  },
] as const satisfies readonly ScopeDefinition[];

export type KeyfobScope = (typeof SCOPE_TABLE)[number]['scope'];

export const ALL_SCOPES: readonly KeyfobScope[] = SCOPE_TABLE.map((entry) => entry.scope);

const BY_ROUTE = new Map<string, KeyfobScope>(
  SCOPE_TABLE.flatMap((entry) => entry.routes.map((route) => [route, entry.scope] as const)),
);
const BY_SCOPE = new Map<string, ScopeDefinition>(SCOPE_TABLE.map((entry) => [entry.scope, entry]));

/**
 * A person's own account (GDPR articles 15 and 17): every signed-in person may export or erase their own data,
 * whatever scopes configuration or their identity provider give them, and no machine client may. No scope opens
 * these routes, so none can close them.
 */
export const OWN_ACCOUNT_ROUTES: ReadonlySet<string> = new Set(['GET /api/account/export', 'DELETE /api/account']);

export function isKeyfobScope(value: string): value is KeyfobScope {
  return BY_SCOPE.has(value);
}

/**
 * The scope of a route, as `METHOD /api/...` with Fastify's parameter names. A route missing from the table is a
 * programming error found at start (the route's registration calls this), never a route open to every caller.
 */
export function scopeOfRoute(method: string, url: string): KeyfobScope {
  const scope = tableScopeOf(method, url);
  if (!scope) throw new Error(`the scope table has no row for ${method} ${url}: add one in src/access/scope-table.ts`);
  return scope;
}

/** The table's scope for a route, or undefined when the table has no row for it. */
export function tableScopeOf(method: string, url: string): KeyfobScope | undefined {
  return BY_ROUTE.get(`${method} ${url}`);
}

export function maxTokenLifetimeSeconds(scope: KeyfobScope): number {
  return LIFETIME_BY_SENSITIVITY[(BY_SCOPE.get(scope) as ScopeDefinition).sensitivity];
}

export function sensitivityOf(scope: KeyfobScope): Sensitivity {
  return (BY_SCOPE.get(scope) as ScopeDefinition).sensitivity;
}

/** Scopes from a space- or comma-separated list, or an array; unknown names are left out (and reported). */
export function parseScopes(value: unknown): { scopes: KeyfobScope[]; unknown: string[] } {
  const items = Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : typeof value === 'string'
      ? value.split(/[\s,]+/)
      : [];
  const scopes = new Set<KeyfobScope>();
  const unknown: string[] = [];
  for (const item of items.map((entry) => entry.trim()).filter(Boolean)) {
    if (isKeyfobScope(item)) scopes.add(item);
    else unknown.push(item);
  }
  return { scopes: [...scopes], unknown };
}
