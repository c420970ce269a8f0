/** The Smartcar permissions the sandbox knows, with the wording its consent page shows. */
export const PERMISSIONS: Record<string, string> = {
  read_vehicle_info: 'Know make, model, and year',
  read_vin: 'Read VIN',
  read_odometer: 'Retrieve total distance traveled',
  read_location: 'Access the location',
  read_battery: 'Read EV battery level',
  read_charge: 'Know whether the vehicle is charging',
  control_charge: 'Start or stop charging',
  read_fuel: 'Read fuel tank level',
  read_engine_oil: 'Read engine oil health',
  read_tires: 'Read tire pressure',
  read_security: 'Read lock status',
  control_security: 'Lock or unlock the vehicle',
};

export interface RequestedScope {
  permission: string;
  required: boolean;
}

/** Parses a Connect `scope`: space-separated permissions, `required:` marking ones the user cannot deselect. */
export function parseScope(scope: string): { scopes: RequestedScope[]; unknown: string[] } {
  const scopes: RequestedScope[] = [];
  const unknown: string[] = [];
  for (const item of scope.split(' ').filter(Boolean)) {
    const required = item.startsWith('required:');
    const permission = required ? item.slice('required:'.length) : item;
    if (!(permission in PERMISSIONS)) unknown.push(item);
    else if (!scopes.some((s) => s.permission === permission)) scopes.push({ permission, required });
  }
  return { scopes, unknown };
}
