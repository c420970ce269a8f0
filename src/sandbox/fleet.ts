/** Typed access to fleet.json, the sandbox's fixed accounts and vehicles. */
import { readFileSync } from 'node:fs';

export interface FleetVehicle {
  id: string;
  make: string;
  model: string;
  year: number;
  vin: string;
  powertrain: 'electric' | 'fuel';
  odometerKm: number;
  batteryPercent?: number;
  batteryCapacityKwh?: number;
  fuelPercent?: number;
  tankLiters?: number;
  rangeKmAtFull: number;
  location: { latitude: number; longitude: number };
  tiresKpa: { frontLeft: number; frontRight: number; backLeft: number; backRight: number };
  oilLifeRemaining: number | null;
}

export interface FleetAccount {
  id: string;
  email: string;
  name: string;
  vehicles: FleetVehicle[];
}

export function loadFleet(): FleetAccount[] {
  const text = readFileSync(new URL('./fleet.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { accounts: FleetAccount[] }).accounts;
}
