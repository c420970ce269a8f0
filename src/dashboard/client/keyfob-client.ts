/**
 * Keyfob's browser client: a small ES module Keyfob serves at `/dashboard/keyfob-client.js` (built from this file
 * by `scripts/build-client.mjs`, types beside it), for dashboards on Keyfob's origin. It sends the session cookie
 * and `X-CSRF: 1` on every call, turns Keyfob's error bodies into typed errors, and offers the session, vehicles,
 * their data and commands, the live stream and the account. It never handles a token: Keyfob never sends one.
 *
 * Written by hand: it is the typed face of Keyfob's own routes (described in /openapi.json), small enough to read,
 * with no dependency to ship to the browser.
 */

// --- what Keyfob answers ---------------------------------------------------------------------------------------

export interface Provider {
  name: string;
  displayName: string;
}

export interface Vehicle {
  id: string;
  provider: string;
  make: string | null;
  model: string | null;
  year: number | null;
  /** Masked to its last four characters. */
  vin: string | null;
  scopes: string[];
  /** The routes this vehicle can use, as `"GET /odometer"`: its provider has them and the person may call them. */
  features: string[];
  status:
    | 'active'
    | 'pending_approval'
    | 'reauth_required'
    | 'revoked'
    | 'not_cleared'
    | 'asleep'
    | 'unreachable'
    | 'remote_access_disabled'
    | string;
  /** The provider's advice for the person about this status (plain text: show it as text, never as HTML). */
  statusMessage: string | null;
  /** Where to send the person to connect this vehicle again, when `status` is `reauth_required`. */
  loginUrl?: string;
  clearanceStatus?: string | null;
  /** What the provider reported about the vehicle and has not reported ended. */
  conditions: VehicleCondition[];
}

export interface VehicleCondition {
  /** The provider's category: Smartcar's `CONNECTED_SERVICES_ACCOUNT`, `VEHICLE_STATE`, `COMPATIBILITY` ... */
  type: string;
  code: string | null;
  /** `reconnect`: connect it again; `vehicle_state`: out of reach for now; `feature`: some signals are missing. */
  effect: 'reconnect' | 'vehicle_state' | 'feature' | 'notice';
  since: string;
  message: string | null;
  signals: string[];
}

/** A `status` event of the live stream: the person's vehicles as `session()` shows them, after a change. */
export interface StatusEvent {
  vehicles: Vehicle[];
}

export interface Session {
  authenticated: boolean;
  signIn?: 'oidc' | 'provider';
  providers?: Provider[];
  user?: { id: string; name?: string; email?: string };
  scopes?: string[];
  vehicles?: Vehicle[];
  expiresAt?: string;
}

/** A vehicle's data with the age the provider gave it (`sc-data-age`), when it did. */
export interface Reading<T> {
  data: T;
  dataAge: string | null;
}

export interface Odometer {
  distance: number;
}
export interface Location {
  latitude: number;
  longitude: number;
}
export interface Battery {
  percentRemaining: number;
  range: number | null;
}
export interface Fuel {
  percentRemaining: number;
  range: number | null;
  amountRemaining: number | null;
}
export interface Charge {
  isPluggedIn: boolean;
  state: string;
}
export interface Security {
  isLocked: boolean;
  doors?: Array<{ type: string; status: string }>;
}
export interface TrendPoint {
  at: string;
  value: number | null;
}
export interface Trends {
  odometer: TrendPoint[];
  battery: TrendPoint[];
  fuel: TrendPoint[];
}
export interface Signal {
  code: string;
  value: Record<string, unknown> & { value?: unknown };
  oemUpdatedAt: string;
}
export interface SignalsEvent {
  vehicleId: string;
  signals: Signal[];
}
export interface Erasure {
  erased: boolean;
  erasedAt: string;
  pseudonym: string;
  disconnections: Array<{ provider: string; outcome: string }>;
}

// --- errors ------------------------------------------------------------------------------------------------------

/** Any refused or failed call: Keyfob's `error` code, its message, and the request id its log lines carry. */
export class KeyfobError extends Error {
  override name = 'KeyfobError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const code = typeof body.error === 'string' ? body.error : typeof body.code === 'string' ? body.code : 'error';
    const message =
      typeof body.message === 'string'
        ? body.message
        : typeof body.description === 'string'
          ? body.description
          : `request failed (${status})`;
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = typeof body.requestId === 'string' ? body.requestId : undefined;
    this.body = body;
  }
}

/** The session ended (or never began): sign in again. */
export class SignedOutError extends KeyfobError {
  override name = 'SignedOutError';
}

/** The vehicle's connection needs a new consent at its provider: send the person to `loginUrl`. */
export class ReauthRequiredError extends KeyfobError {
  override name = 'ReauthRequiredError';
  get loginUrl(): string {
    return typeof this.body.loginUrl === 'string' ? this.body.loginUrl : '/auth/login';
  }
}

/** The person (or the vehicle's connection) lacks a scope this call needs. */
export class InsufficientScopeError extends KeyfobError {
  override name = 'InsufficientScopeError';
  get missingScopes(): string[] {
    return Array.isArray(this.body.missingScopes) ? (this.body.missingScopes as string[]) : [];
  }
}

/** Too many calls: try again after `retryAfterSeconds`. */
export class RateLimitedError extends KeyfobError {
  override name = 'RateLimitedError';
  constructor(
    status: number,
    body: Record<string, unknown>,
    readonly retryAfterSeconds: number | null,
  ) {
    super(status, body);
  }
}

/** The vehicle's provider has no such route (`provider` names it): nothing was sent to it. */
export class NotSupportedByProviderError extends KeyfobError {
  override name = 'NotSupportedByProviderError';
  get provider(): string | undefined {
    return typeof this.body.provider === 'string' ? this.body.provider : undefined;
  }
}

/** Erasing the account or exporting full VINs needs a recent sign-in: send the person to `loginUrl`. */
export class FreshSignInRequiredError extends KeyfobError {
  override name = 'FreshSignInRequiredError';
  get loginUrl(): string {
    return typeof this.body.loginUrl === 'string' ? this.body.loginUrl : '/auth/login';
  }
}

function errorOf(response: Response, body: Record<string, unknown>): KeyfobError {
  const code = body.error;
  if (code === 'reauth_required') return new ReauthRequiredError(response.status, body);
  if (code === 'insufficient_scope') return new InsufficientScopeError(response.status, body);
  if (code === 'not_supported_by_provider') return new NotSupportedByProviderError(response.status, body);
  if (code === 'fresh_sign_in_required') return new FreshSignInRequiredError(response.status, body);
  if (response.status === 429) {
    const header = Number(response.headers.get('retry-after'));
    const seconds = Number.isFinite(header) && header > 0 ? header : Number(body.retryAfterSeconds) || null;
    return new RateLimitedError(response.status, body, seconds);
  }
  if (response.status === 401) return new SignedOutError(response.status, body);
  return new KeyfobError(response.status, body);
}

// --- the client ------------------------------------------------------------------------------------------------------

export interface LiveUpdates {
  /** Stops following (the stream closes; no reconnect). */
  close(): void;
}

export interface LiveHandlers {
  onSignals(event: SignalsEvent): void;
  /** A vehicle's status changed (its provider reported trouble or its end, or it was connected again). */
  onStatus?(event: StatusEvent): void;
  /** The stream is open (again). */
  onOpen?(): void;
  /** The stream dropped and will be opened again after a pause (with `Last-Event-ID`, so nothing is missed). */
  onPause?(): void;
  /** The stream ended for good: the session ended, or `close()` was called. */
  onEnd?(reason: string): void;
}

export class KeyfobClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;

  /** `baseUrl`: Keyfob's origin when the page is not served by it (default: this page's origin). */
  constructor(options: { baseUrl?: string; fetch?: typeof fetch } = {}) {
    this.#base = options.baseUrl ?? '';
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async #call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await this.#fetch(`${this.#base}${path}`, {
      method,
      credentials: 'same-origin',
      headers: { 'X-CSRF': '1', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw errorOf(response, data);
    return { data, dataAge: response.headers.get('sc-data-age') };
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.#call(method, path, body)).data as T;
  }

  /** Where to send the browser to sign in or connect a car (a top-level navigation, not a fetch). */
  loginUrl(options: { provider?: string; returnTo?: string; freshSignIn?: boolean } = {}): string {
    const query = new URLSearchParams();
    if (options.provider) query.set('provider', options.provider);
    query.set('returnTo', options.returnTo ?? '/');
    if (options.freshSignIn) query.set('prompt', 'login');
    return `${this.#base}/auth/login?${query}`;
  }

  session(): Promise<Session> {
    return this.#json('GET', '/auth/session');
  }

  /** Signs out; with an identity provider, `endSessionUrl` is where to send the browser next. */
  logout(): Promise<{ signedOut?: boolean; endSessionUrl?: string }> {
    return this.#json('POST', '/auth/logout');
  }

  async vehicles(): Promise<Vehicle[]> {
    return (await this.#json<{ vehicles: Vehicle[] }>('GET', '/api/vehicles')).vehicles;
  }

  /** Any read of the vehicle's route table (`/odometer`, `/engine/oil` ...), typed by the caller. */
  async read<T>(vehicleId: string, path: string): Promise<Reading<T>> {
    const answer = await this.#call('GET', `/api/vehicles/${encodeURIComponent(vehicleId)}${path}`);
    return { data: answer.data as T, dataAge: answer.dataAge };
  }

  odometer = (vehicleId: string) => this.read<Odometer>(vehicleId, '/odometer');
  location = (vehicleId: string) => this.read<Location>(vehicleId, '/location');
  battery = (vehicleId: string) => this.read<Battery>(vehicleId, '/battery');
  fuel = (vehicleId: string) => this.read<Fuel>(vehicleId, '/fuel');
  charge = (vehicleId: string) => this.read<Charge>(vehicleId, '/charge');
  security = (vehicleId: string) => this.read<Security>(vehicleId, '/security');

  /** A command (`/security` LOCK or UNLOCK, `/charge` START or STOP). */
  command(vehicleId: string, path: '/security' | '/charge', action: string): Promise<{ status: string }> {
    return this.#json('POST', `/api/vehicles/${encodeURIComponent(vehicleId)}${path}`, { action });
  }

  lock = (vehicleId: string) => this.command(vehicleId, '/security', 'LOCK');
  unlock = (vehicleId: string) => this.command(vehicleId, '/security', 'UNLOCK');
  startCharging = (vehicleId: string) => this.command(vehicleId, '/charge', 'START');
  stopCharging = (vehicleId: string) => this.command(vehicleId, '/charge', 'STOP');

  /** Disconnects the vehicle at its provider and from Keyfob. */
  disconnect(vehicleId: string): Promise<{ disconnected: boolean }> {
    return this.#json('DELETE', `/api/vehicles/${encodeURIComponent(vehicleId)}`);
  }

  trends(vehicleId: string): Promise<Trends> {
    return this.#json('GET', `/api/vehicles/${encodeURIComponent(vehicleId)}/trends`);
  }

  /** Everything Keyfob keeps of the person; `fullVin` needs a recent sign-in (FreshSignInRequiredError). */
  exportAccount(options: { fullVin?: boolean } = {}): Promise<Record<string, unknown>> {
    return this.#json('GET', `/api/account/export${options.fullVin ? '?vin=full' : ''}`);
  }

  /** Erases the person; needs a recent sign-in (FreshSignInRequiredError). The session ends with it. */
  eraseAccount(): Promise<Erasure> {
    return this.#json('DELETE', '/api/account');
  }

  /**
   * Follows the person's live vehicle updates. Read with `fetch`, not EventSource, because only fetch can send the
   * `X-CSRF` header; a dropped stream is opened again with `Last-Event-ID`, so no update is lost.
   */
  liveUpdates(handlers: LiveHandlers, options: { retryMs?: number } = {}): LiveUpdates {
    const stop = new AbortController();
    const retryMs = options.retryMs ?? 2000;
    let lastEventId: string | null = null;
    const follow = async (): Promise<string> => {
      while (!stop.signal.aborted) {
        let ended: string | null = null;
        try {
          const response = await this.#fetch(`${this.#base}/api/events`, {
            credentials: 'same-origin',
            headers: { 'X-CSRF': '1', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
            signal: stop.signal,
          });
          if (response.status === 401) return 'session_ended';
          if (!response.ok || !response.body) {
            const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
            if (response.status === 403) throw errorOf(response, body);
            throw new Error(`the stream answered ${response.status}`);
          }
          handlers.onOpen?.();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
              const fields = parseEvent(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (fields.id) lastEventId = fields.id;
              if (fields.event === 'signals' && fields.data) handlers.onSignals(JSON.parse(fields.data));
              if (fields.event === 'status' && fields.data) handlers.onStatus?.(JSON.parse(fields.data));
              if (fields.event === 'end' && fields.data) ended = JSON.parse(fields.data).reason;
            }
          }
        } catch (error) {
          if (error instanceof KeyfobError) throw error;
          // Keyfob restarting, or the network gone: open it again below.
        }
        if (ended === 'session_ended') return ended;
        if (stop.signal.aborted) break;
        handlers.onPause?.();
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
      return 'closed';
    };
    follow().then(
      (reason) => handlers.onEnd?.(reason),
      (error: KeyfobError) => handlers.onEnd?.(error.code),
    );
    return { close: () => stop.abort() };
  }
}

/** One server-sent event's fields (`id`, `event`, `data`). */
function parseEvent(block: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
  }
  return fields;
}
