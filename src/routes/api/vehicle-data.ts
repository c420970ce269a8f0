/**
 * VIN data from CarsXE, an API-key service whose key never leaves the server (data-services/carsxe/):
 * - `GET /api/vehicles/:vehicleId/specs|history|recalls|market-value`: for a vehicle in the caller's reach, its
 *   connection alive; Keyfob fills in the VIN from its encrypted column and masks it in the answer, so the browser
 *   never has it. A vehicle whose VIN Keyfob does not know (a Smartcar consent without `read_vin`) is 409
 *   `vin_unknown`.
 * - `GET /api/vin/:vin/...`: the same by VIN, for machine clients only (a person's browser has no VINs to ask by).
 * - `GET /api/obd-codes/:code`: what a diagnostic trouble code means.
 * Each route's Keyfob scope was checked before this runs (README: Scopes). Without CarsXE configured they answer
 * 404 `data_service_disabled`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../../access/principal.ts';
import { type CarsxeClient, createCarsxeClient, outcomeOf } from '../../data-services/carsxe/carsxe-client.ts';
import {
  CARSXE_VEHICLE_ROUTES,
  type CarsxeRoute,
  OBD_CODE_PATTERN,
  OBD_CODE_ROUTE,
  VIN_PATTERN,
} from '../../data-services/carsxe/carsxe-routes.ts';
import { hideVin } from '../../data-services/carsxe/hide-vin.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import { assertReachable, vehicleInReach, vehicleParams } from './vehicle-reach.ts';

const disabled = () =>
  new KeyfobError(ERROR_CODES.DATA_SERVICE_DISABLED, 404, 'CarsXE is not configured on this Keyfob (CARSXE_API_KEY)');

const querySchema = (route: CarsxeRoute) => ({
  type: 'object',
  additionalProperties: false,
  properties: route.query ?? {},
});

/** CarsXE's answer as Keyfob relays it: its own fields, `input` dropped, a VIN masked. */
const DATA_ANSWER = {
  type: 'object',
  description: "CarsXE's data (its field names), without the `input` echo; VINs masked to their last four characters",
  additionalProperties: true,
} as const;

export default async function vehicleDataRoutes(app: FastifyInstance) {
  const settings = app.config.carsxe;
  const client: CarsxeClient | undefined = settings
    ? createCarsxeClient(settings, app.config.upstreamTimeoutMs)
    : undefined;

  async function ask(route: string, upstreamPath: string, params: Record<string, string>, dataField?: string) {
    if (!client) throw disabled();
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return (await client.get(upstreamPath, params, dataField)).data;
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      app.metrics.dataServiceCalls.observe({ service: 'carsxe', route, outcome }, seconds);
    }
  }

  const extraParams = (request: FastifyRequest) =>
    Object.fromEntries(
      Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );

  for (const route of CARSXE_VEHICLE_ROUTES) {
    app.get(
      `/vehicles/:vehicleId${route.path}`,
      {
        schema: {
          summary: `CarsXE ${route.path.slice(1)} of the vehicle, its VIN filled in server-side and masked in the answer`,
          params: vehicleParams,
          querystring: querySchema(route),
          response: { 200: DATA_ANSWER, ...errorResponses(409) },
        },
      },
      async (request) => {
        if (!client) throw disabled();
        const { vehicle } = await vehicleInReach(app, request);
        assertReachable(vehicle);
        const vin = app.repos.vehicles.revealVin(vehicle);
        if (!vin) {
          throw new KeyfobError(
            ERROR_CODES.VIN_UNKNOWN,
            409,
            "Keyfob does not know this vehicle's VIN (its connection did not share it): connect it again allowing the VIN",
          );
        }
        const data = await ask(route.path, route.upstreamPath, { vin, ...extraParams(request) }, route.dataField);
        return hideVin(data, vin);
      },
    );
    app.get(
      `/vin/:vin${route.path}`,
      {
        schema: {
          params: {
            type: 'object',
            required: ['vin'],
            properties: { vin: { type: 'string', pattern: VIN_PATTERN } },
          },
          querystring: querySchema(route),
          summary: `CarsXE ${route.path.slice(1)} by VIN (machine clients only)`,
          response: { 200: DATA_ANSWER },
        },
      },
      async (request) => {
        if (principalOf(request).kind !== 'machine') {
          throw new KeyfobError(
            ERROR_CODES.MACHINES_ONLY,
            403,
            `asking by VIN is for machine clients; use /api/vehicles/:vehicleId${route.path}`,
          );
        }
        const { vin } = request.params as { vin: string };
        return ask(
          route.path,
          route.upstreamPath,
          { vin: vin.toUpperCase(), ...extraParams(request) },
          route.dataField,
        );
      },
    );
  }

  app.get(
    '/obd-codes/:code',
    {
      schema: {
        params: {
          type: 'object',
          required: ['code'],
          properties: { code: { type: 'string', pattern: OBD_CODE_PATTERN } },
        },
        summary: 'what a diagnostic trouble code means (CarsXE)',
        response: { 200: DATA_ANSWER },
      },
    },
    async (request) => {
      const { code } = request.params as { code: string };
      return ask('/obd-codes', OBD_CODE_ROUTE.upstreamPath, { code: code.toUpperCase() });
    },
  );
}
