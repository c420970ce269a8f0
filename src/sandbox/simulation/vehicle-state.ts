/**
 * A sandbox vehicle's live state. It moves on lazily, by the time elapsed since it was last read: an idle car
 * drives a little (odometer grows, battery or fuel drains, position drifts), a plugged-in EV charges until full.
 */
import type { FleetVehicle } from '../fleet.ts';

const KM_PER_MINUTE_DRIVING = 0.6;
const CHARGE_PER_MINUTE = 0.004; // a 40% top-up takes under two hours
const DRAIN_PER_KM_EV = 1 / 450;
const DRAIN_PER_KM_FUEL = 1 / 750;

export type ChargeState = 'CHARGING' | 'FULLY_CHARGED' | 'NOT_CHARGING';

/** Whether the car answers now: Smartcar's VEHICLE_STATE error codes, or `ONLINE`. */
export type Reachability = 'ONLINE' | 'ASLEEP' | 'UNREACHABLE' | 'REMOTE_ACCESS_DISABLED';

export class VehicleState {
  odometerKm: number;
  energy: number; // battery or fuel, 0..1
  isPluggedIn = false;
  charging = false;
  isLocked = true;
  /** Set by the sandbox's controls: a car that is not ONLINE answers data calls with 409 VEHICLE_STATE. */
  reachability: Reachability = 'ONLINE';
  latitude: number;
  longitude: number;
  /** When the data was last updated (what `sc-data-age` reports). */
  updatedAt: number;

  constructor(
    readonly spec: FleetVehicle,
    now: number,
  ) {
    this.odometerKm = spec.odometerKm;
    this.energy = spec.batteryPercent ?? spec.fuelPercent ?? 0.5;
    this.latitude = spec.location.latitude;
    this.longitude = spec.location.longitude;
    this.updatedAt = now;
  }

  get isElectric(): boolean {
    return this.spec.powertrain === 'electric';
  }

  get chargeState(): ChargeState {
    if (this.charging && this.energy < 1) return 'CHARGING';
    return this.isPluggedIn && this.energy >= 1 ? 'FULLY_CHARGED' : 'NOT_CHARGING';
  }

  /** Moves the state on to `now`. */
  advance(now: number): void {
    const minutes = (now - this.updatedAt) / 60_000;
    if (minutes <= 0) return;
    if (this.charging) {
      this.energy = Math.min(1, this.energy + minutes * CHARGE_PER_MINUTE);
      if (this.energy >= 1) this.charging = false;
    } else if (!this.isPluggedIn && this.energy > 0.05) {
      const km = minutes * KM_PER_MINUTE_DRIVING;
      this.odometerKm += km;
      this.energy = Math.max(0.05, this.energy - km * (this.isElectric ? DRAIN_PER_KM_EV : DRAIN_PER_KM_FUEL));
      // Drift along a heading derived from the VIN, so each car wanders its own way.
      const heading = (this.spec.vin.charCodeAt(16) % 360) * (Math.PI / 180);
      this.latitude += Math.cos(heading) * km * 0.000009;
      this.longitude += Math.sin(heading) * km * 0.000009;
    }
    this.updatedAt = now;
  }

  setCharging(start: boolean): void {
    this.isPluggedIn = this.isPluggedIn || start;
    this.charging = start && this.energy < 1;
  }
}
