/**
 * What the connect flow and the proxy need from a vehicle provider. Each provider is a folder beside this file
 * (adapter, route table, answer mapping, client authentication), listed once in registry.ts.
 */
import type { OAuthFailure } from './oauth-failure.ts';

/** One row of a provider's declarative route table. */
export interface ProxyRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Keyfob path below `/api/vehicles/:vehicleId`, like `/odometer`: the same for every provider that has it. */
  path: string;
  /** Upstream path for the vehicle's key (its provider id, or its VIN: see `vehicleKey`), like `/vehicles/{id}/odometer`. */
  upstreamPath(vehicleKey: string, body?: unknown): string;
  /** The upstream method, when it differs from Keyfob's (default: the same). */
  upstreamMethod?: 'GET' | 'POST' | 'DELETE';
  /** Which token the call carries: the user's grant (default) or the application's (client credentials). */
  credentials?: 'user' | 'application';
  /** Reshapes a successful upstream answer into Keyfob's shape for this route (the Smartcar v2 shapes). */
  transform?(body: unknown): unknown;
  /** When the data of a successful answer was measured, if the answer says (sent to the browser as `sc-data-age`). */
  dataAge?(body: unknown): string | undefined;
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
  /** The consent awaits the carmaker's confirmation (High Mobility `status: pending`); false once approved. */
  pendingApproval?: boolean;
}

export interface VehicleDescription {
  /** The provider's id for the vehicle; null when the provider addresses vehicles by VIN only (High Mobility). */
  providerVehicleId: string | null;
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

/** An upstream error answer turned into Keyfob's error shape (`{ error, message, provider }`). */
export interface TranslatedError {
  status: number;
  body: { error: string; message: string; provider: string };
  headers?: Record<string, string>;
}

export interface ProviderAdapter {
  /** Stored on identities, grants and vehicles; the `provider` of `/auth/login`. */
  readonly name: string;
  /** What the dashboard shows. */
  readonly displayName: string;
  readonly clientId: string;
  readonly endpoints: { authorization: string; token: string };
  readonly apiBaseUrl: string;
  readonly routes: readonly ProxyRoute[];
  /** How upstream paths name a vehicle: by the provider's vehicle id, or by VIN (decrypted for that call only). */
  readonly vehicleKey: 'providerVehicleId' | 'vin';
  /** Set when some calls use an application token (Smartcar v3, High Mobility fleets). */
  readonly appTokens?: AppTokenSource;
  /** The authorization request (consent page) with Keyfob's state and S256 PKCE challenge. */
  authorizationUrl(input: { redirectUri: string; state: string; codeChallenge: string }): URL;
  /** Exchanges the callback's code, authenticating as the provider expects; throws what classifyTokenFailure reads. */
  exchangeCode(input: {
    callbackUrl: URL;
    redirectUri: string;
    state: string;
    codeVerifier: string;
  }): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /** The provider's own rule for which token-endpoint failures mean the consent is gone. */
  classifyTokenFailure(error: unknown): OAuthFailure;
  /** The provider's account id for the consent (a sign-in identity). */
  identifyUser(tokens: TokenSet): Promise<string>;
  /** The vehicles of a grant, and the permissions the user granted. */
  describeGrant(tokens: TokenSet): Promise<{ scopes: string[]; vehicles: VehicleDescription[] }>;
  /** Ends the consent for this vehicle at the provider. */
  disconnect(input: { accessToken: string; refreshToken: string | null; vehicleKey: string }): Promise<void>;
  /** Turns an upstream error answer into Keyfob's error shape; undefined passes it through as the provider sent it. */
  translateError?(status: number, body: Buffer): TranslatedError | undefined;
  /** Headers an application-token call carries besides the token (Smartcar v3: `sc-user-id`). */
  applicationHeaders?(providerAccountId: string | null): Record<string, string>;
  /** Fleet access (an operator's own vehicles, by clearance), for providers that have it. */
  fleet?: FleetAccess;
  /** The routes (`"GET /odometer"`) that read each of the provider's signal codes (its webhooks name signals). */
  readonly signalRoutes?: Readonly<Record<string, readonly string[]>>;
  /**
   * What an error answer to a proxied call says about the vehicle's connection, for providers that report it on
   * a call rather than by webhook (High Mobility: a consent removed at the carmaker); undefined: nothing.
   */
  conditionOfAnswer?(
    status: number,
    body: Buffer,
    vehicle: { connectionKind: 'user' | 'fleet' },
  ): AnswerCondition | undefined;
}

/** A provider's answer that tells the vehicle's trouble: recorded like a webhook's report. */
export type AnswerCondition =
  | { kind: 'condition'; type: string; code: string; userMessage: string }
  /** A fleet vehicle's clearance ended at the provider. */
  | { kind: 'clearance'; clearanceStatus: string };

/** One vehicle's clearance as the provider reports it. */
export interface ClearanceItem {
  vin: string;
  status: string;
  brand?: string;
  description?: string;
}

export interface FleetClearance {
  add(vehicles: Array<{ vin: string; brand: string }>): Promise<ClearanceItem[]>;
  list(): Promise<ClearanceItem[]>;
  remove(vin: string): Promise<ClearanceItem>;
}

export interface FleetAccess {
  /** The clearance API over the fleet token (from the application-token manager). */
  clearance(tokens: { token(): Promise<string>; renew(refused: string): Promise<string> }): FleetClearance;
  /** The permissions a cleared vehicle's connection holds (the app's data permissions). */
  scopes: string[];
}
