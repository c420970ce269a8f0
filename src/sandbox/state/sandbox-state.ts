/** Everything one sandbox instance remembers, in memory: a restart forgets all grants, like a fresh provider. */
import { randomInt, randomUUID } from 'node:crypto';
import { type FleetAccount, loadFleet } from '../fleet.ts';
import type { SandboxClient, SandboxSettings } from '../options.ts';
import { VehicleState } from '../simulation/vehicle-state.ts';
import type { RequestedScope } from '../smartcar/permissions.ts';
import { TokenStore } from '../smartcar/token-store.ts';
import { CallCounter } from './call-counter.ts';
import { SandboxClock } from './clock.ts';
import { FaultPlan } from './faults.ts';
import { VehicleRateLimiter } from './rate-limiter.ts';

/** An authorization request waiting for the person on the consent pages. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: RequestedScope[];
  codeChallenge: string | undefined;
  make: string | undefined;
  singleSelect: boolean;
  singleSelectVin: string | undefined;
  accountId?: string;
  expiresAt: number;
}

/** One VEHICLE_ERROR's content: the vehicle, the grants told of it, and Smartcar's `errors[]` entries. */
export interface VehicleErrorReport {
  vehicleId: string;
  grantIds: string[];
  errors: Array<Record<string, unknown>>;
}

export class SandboxState {
  readonly clock = new SandboxClock();
  readonly calls = new CallCounter();
  readonly faults = new FaultPlan();
  readonly rateLimiter = new VehicleRateLimiter();
  readonly tokens: TokenStore;
  readonly accounts: FleetAccount[] = loadFleet();
  readonly vehicles = new Map<string, VehicleState>();
  readonly pending = new Map<string, PendingAuthorization>();
  /** Each simulator's own state, by provider name (tests read it: issued tokens, consents). */
  readonly simulators = new Map<string, unknown>();
  readonly #changeListeners: Array<(vehicleId: string) => void> = [];
  readonly #errorListeners: Array<(report: VehicleErrorReport) => void> = [];
  /** The last vehicle API request as received, so tests can check what a proxy forwarded (headers included). */
  lastApiRequest: { method: string; url: string; headers: Record<string, unknown> } | undefined;

  constructor(
    readonly clients: SandboxClient[],
    public settings: SandboxSettings,
  ) {
    this.tokens = new TokenStore(this.clock, () => this.settings);
    for (const account of this.accounts) {
      for (const vehicle of account.vehicles)
        this.vehicles.set(vehicle.id, new VehicleState(vehicle, this.clock.now()));
    }
  }

  /** A command changed a vehicle (Smartcar's webhooks report it). */
  vehicleChanged(vehicleId: string): void {
    const vehicle = this.vehicles.get(vehicleId);
    if (vehicle) {
      vehicle.advance(this.clock.now());
      vehicle.updatedAt = this.clock.now();
    }
    for (const listener of this.#changeListeners) listener(vehicleId);
  }

  onVehicleChanged(listener: (vehicleId: string) => void): void {
    this.#changeListeners.push(listener);
  }

  /** Trouble with a vehicle began or ended for these grants (Smartcar's webhooks send VEHICLE_ERROR for it). */
  vehicleErrorReported(report: VehicleErrorReport): void {
    for (const listener of this.#errorListeners) listener(report);
  }

  onVehicleError(listener: (report: VehicleErrorReport) => void): void {
    this.#errorListeners.push(listener);
  }

  client(clientId: string): SandboxClient | undefined {
    return this.clients.find((client) => client.clientId === clientId);
  }

  /**
   * Adds `count` test accounts, each with a copy of the first fleet account's vehicles under new ids and VINs (as
   * a provider's developer console creates simulated vehicles): load and incident tests need many distinct
   * people, each connecting through the consent pages.
   */
  addTestAccounts(count: number): FleetAccount[] {
    const template = this.accounts[0] as FleetAccount;
    const added = Array.from({ length: count }, () => {
      const id = randomUUID();
      const vehicles = template.vehicles.map((vehicle) => ({
        ...vehicle,
        id: randomUUID(),
        // A new serial (the last 6 characters) on the template's manufacturer and model prefix.
        vin: `${vehicle.vin.slice(0, 11)}${randomInt(0, 1_000_000).toString().padStart(6, '0')}`,
      }));
      return {
        id,
        email: `driver-${id.slice(0, 8)}@sandbox.keyfob.dev`,
        name: `Test driver ${id.slice(0, 8)}`,
        vehicles,
      };
    });
    for (const account of added) {
      this.accounts.push(account);
      for (const vehicle of account.vehicles)
        this.vehicles.set(vehicle.id, new VehicleState(vehicle, this.clock.now()));
    }
    return added;
  }

  account(accountId: string): FleetAccount | undefined {
    return this.accounts.find((account) => account.id === accountId);
  }

  startAuthorization(request: Omit<PendingAuthorization, 'id' | 'expiresAt'>): PendingAuthorization {
    const pending = { ...request, id: randomUUID(), expiresAt: this.clock.now() + 30 * 60_000 };
    this.pending.set(pending.id, pending);
    return pending;
  }

  /** A vehicle's state moved on to now. */
  vehicle(vehicleId: string): VehicleState | undefined {
    const vehicle = this.vehicles.get(vehicleId);
    vehicle?.advance(this.clock.now());
    return vehicle;
  }

  /** Forgets counters, faults, rate-limit windows and clock offset (grants and tokens stay). */
  resetControls(): void {
    this.calls.reset();
    this.faults.clear();
    this.rateLimiter.reset();
    this.clock.reset();
  }
}
