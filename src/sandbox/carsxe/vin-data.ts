/**
 * The simulated CarsXE's data: answers in CarsXE's shapes for the sandbox's own cars (fleet.json, by VIN), derived
 * from each car's make, model and year so that they are stable from run to run. Any other VIN has no data (404),
 * as a real VIN CarsXE has never seen.
 */
import type { FleetVehicle } from '../fleet.ts';

export function specsOf(car: FleetVehicle) {
  return {
    attributes: {
      year: String(car.year),
      make: car.make,
      model: car.model,
      trim: car.powertrain === 'electric' ? 'Long Range' : 'LE',
      engine: car.powertrain === 'electric' ? 'Electric' : '2.5L L4 DOHC 16V',
      fuel_type: car.powertrain === 'electric' ? 'Electric' : 'Gasoline',
      made_in: 'United States',
    },
    colors: [{ category: 'Exterior', name: 'Midnight Silver Metallic' }],
    equipment: { abs: 'Std.', keyless_entry: 'Std.' },
    warranties: [{ type: 'Basic', months: '48', miles: '50000' }],
  };
}

export function historyOf(car: FleetVehicle) {
  return {
    vin: car.vin,
    junkAndSalvageInformation: [],
    insuranceInformation: [],
    brandsRecordCount: 0,
    brandsInformation: [],
    vinChanged: false,
    currentTitleInformation: [
      { VehicleIdentificationNumber: car.vin, TitleIssueDate: `${car.year}-03-14`, State: 'CA' },
    ],
    historyInformation: [{ VehicleIdentificationNumber: car.vin, Odometer: Math.round(car.odometerKm * 0.621) }],
  };
}

export function recallsOf(car: FleetVehicle) {
  const recalls =
    car.powertrain === 'electric'
      ? [
          {
            nhtsa_id: '24V051000',
            component: 'ELECTRICAL SYSTEM',
            recall_status: 'Open',
            summary: 'Font size of warning indicators may be too small.',
          },
        ]
      : [];
  return {
    make: car.make,
    model: car.model,
    model_year: String(car.year),
    has_recalls: recalls.length > 0,
    recall_count: recalls.length,
    recalls,
  };
}

export function marketValueOf(car: FleetVehicle, mileage: number | undefined) {
  const age = Math.max(0, 2026 - car.year);
  const miles = mileage ?? Math.round(car.odometerKm * 0.621);
  const base = Math.round(42_000 * 0.85 ** age);
  const mileageAdjust = -Math.round(miles * 0.08);
  const value = (factor: number) => ({
    base_: Math.round(base * factor),
    mileage_: mileageAdjust,
    add_deduct_: 0,
    regional_: 0,
  });
  return {
    uid: `sandbox-${car.id}`,
    make: car.make,
    model: car.model,
    model_year: String(car.year),
    series: car.model,
    whole_sale: value(0.82),
    retail: value(1),
    trade_in: value(0.75),
    msrp: 42_000,
  };
}

const OBD_CODES: Record<string, string> = {
  P0301: 'Cylinder 1 Misfire Detected',
  P0420: 'Catalyst System Efficiency Below Threshold (Bank 1)',
  P0171: 'System Too Lean (Bank 1)',
  U0100: 'Lost Communication With ECM/PCM "A"',
};

export function obdCode(code: string): string | undefined {
  return OBD_CODES[code];
}
