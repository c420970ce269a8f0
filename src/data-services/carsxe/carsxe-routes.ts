/**
 * CarsXE's endpoints as Keyfob serves them: the same Keyfob path under `/api/vehicles/:vehicleId` (the VIN filled
 * in from Keyfob's encrypted column) and under `/api/vin/:vin` (machine clients only), each with its upstream path.
 * @see ../../../../shared/reference/vehicle-apis.md (CarsXE)
 */

export interface CarsxeRoute {
  /** Keyfob's path below the vehicle or VIN. */
  path: '/specs' | '/history' | '/recalls' | '/market-value';
  upstreamPath: string;
  /** Optional query parameters Keyfob passes on, each with its JSON schema. */
  query?: Record<string, Record<string, unknown>>;
  /** Answers without a `success` field (market value): the field that shows an answer is data. */
  dataField?: string;
}

export const CARSXE_VEHICLE_ROUTES: readonly CarsxeRoute[] = [
  { path: '/specs', upstreamPath: '/specs' },
  { path: '/history', upstreamPath: '/history' },
  { path: '/recalls', upstreamPath: '/v1/recalls' },
  {
    path: '/market-value',
    upstreamPath: '/v2/marketvalue',
    dataField: 'make',
    query: {
      mileage: { type: 'integer', minimum: 0, maximum: 2_000_000 },
      state: { type: 'string', pattern: '^[A-Za-z]{2}$' },
      condition: { type: 'string', enum: ['excellent', 'clean', 'average', 'rough'] },
    },
  },
];

export const OBD_CODE_ROUTE = { upstreamPath: '/obdcodesdecoder' } as const;

/** A VIN as CarsXE and the carmakers write it: 17 characters, no I, O or Q. */
export const VIN_PATTERN = '^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$';
/** A diagnostic trouble code: its system letter and four hexadecimal digits (P0301, U0100 ...). */
export const OBD_CODE_PATTERN = '^[PBCUpbcu][0-9A-Fa-f]{4}$';
