/** What the connect flow and the proxy need from a vehicle provider. */
import type * as oauth from 'openid-client';

/** One row of the proxy's declarative route table. */
export interface ProxyRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Keyfob path below `/api/vehicles/:vehicleId`, like `/odometer`. */
  path: string;
  /** Upstream path for a provider vehicle id (and the validated body), like `/vehicles/{id}/odometer`. */
  upstreamPath(providerVehicleId: string, body?: unknown): string;
  /** Which token the call carries: the user's grant (default) or the application's (client credentials). */
  credentials?: 'user' | 'application';
  /** Reshapes a successful upstream answer for the dashboard (v3 signals into the v2 shapes it reads). */
  transform?(body: unknown): unknown;
  /** Sends no body upstream even for a POST (the body chose the upstream path). */
  omitBody?: boolean;
  /** The permission the grant must hold, or null for none. */
  scope: string | null;
  /** JSON schema of the request body, for the routes that take one. */
  body?: Record<string, unknown>;
  /** For a batch route: which sub-paths are asked for, so each one's scope is checked. */
  batchPaths?(body: unknown): string[];
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  accessExpiresAt: Date;
  /** Computed by the client when the provider does not say (Smartcar does not). */
  refreshExpiresAt: Date | undefined;
}

export interface VehicleDescription {
  providerVehicleId: string;
  make: string | null;
  model: string | null;
  year: number | null;
  vin: string | null;
}

/** Where and as whom application tokens are asked for (client credentials). */
export interface AppTokenSource {
  request: { tokenEndpoint: string; clientId: string; scopes: string[] };
  fetch(scopes: string[]): Promise<{ accessToken: string; expiresInSeconds: number }>;
}

export interface ProviderAdapter {
  /** Stored on users, grants and vehicles. */
  readonly name: string;
  readonly oauth: oauth.Configuration;
  readonly apiBaseUrl: string;
  readonly routes: readonly ProxyRoute[];
  /** Set when some routes call the API with an application token (Smartcar v3, High Mobility fleets). */
  readonly appTokens?: AppTokenSource;
  /** Provider-specific parameters of the authorization request (scope, mode ...). */
  authorizationParameters(): Record<string, string>;
  tokenSetFrom(response: oauth.TokenEndpointResponse): TokenSet;
  identifyUser(accessToken: string): Promise<string>;
  /** The vehicles of a grant, and the permissions the user granted. */
  describeGrant(accessToken: string): Promise<{ scopes: string[]; vehicles: VehicleDescription[] }>;
  disconnect(accessToken: string, providerVehicleId: string): Promise<void>;
}
