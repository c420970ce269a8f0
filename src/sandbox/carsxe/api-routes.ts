/**
 * CarsXE's API as the reference describes it: `GET` with the key as query `key`, checked before anything else
 * (none: 402, or 401 with `keylessStatus`; unknown: 401; blocked: 403), then the parameters (400, not billed), then
 * the key's quota for that API (429 with `usage`), then the data (404 when there is none). `/specs`, `/v1/recalls`
 * and `/v2/marketvalue` echo the key back in `input`, as CarsXE does: the adapter must drop it.
 * @see ../../../../shared/reference/vehicle-apis.md (CarsXE)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FleetVehicle } from '../fleet.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import type { CarsxeState } from './state.ts';
import { historyOf, marketValueOf, obdCode, recallsOf, specsOf } from './vin-data.ts';

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/i;

type Query = Record<string, string | undefined>;

const refuse = (reply: FastifyReply, status: number, message: string, extra: object = {}) =>
  reply.code(status).send({ success: false, message, ...extra });

export function carsxeApiRoutes(app: FastifyInstance, shared: SandboxState, carsxe: CarsxeState, prefix: string) {
  const carByVin = (vin: string): FleetVehicle | undefined => {
    for (const vehicle of shared.vehicles.values()) if (vehicle.spec.vin === vin.toUpperCase()) return vehicle.spec;
    return undefined;
  };

  /** The key checks, the parameter, then the quota: undefined when the call was answered already. */
  function admit(
    request: FastifyRequest,
    reply: FastifyReply,
    api: string,
    parameter: { name: string; valid: (value: string) => boolean; missing: string },
  ): string | undefined {
    const query = request.query as Query;
    shared.calls.add(`carsxe.${api}`);
    const key = query.key;
    if (!key) {
      if (carsxe.settings.keylessStatus === 'payment_required') {
        refuse(reply, 402, 'Payment required: pass your API key as key, or pay per call');
      } else refuse(reply, 401, 'Missing API key');
      return undefined;
    }
    const known = carsxe.keys.get(key);
    if (!known) return void refuse(reply, 401, 'Invalid or inactive API key');
    if (known.blocked) return void refuse(reply, 403, 'This API key is blocked or this API is not in your plan');
    const value = query[parameter.name];
    if (!value) return void refuse(reply, 400, parameter.missing);
    if (!parameter.valid(value)) return void refuse(reply, 400, `Invalid ${parameter.name}`);
    const billed = carsxe.bill(key, api);
    if (!billed.allowed) {
      const limit = carsxe.settings.monthlyQuota;
      return void refuse(reply, 429, 'You have reached your monthly limit for this API', {
        usage: { current: billed.current, limit, remaining: 0 },
      });
    }
    return value;
  }

  const vinParameter = {
    name: 'vin',
    valid: (value: string) => VIN.test(value),
    missing: 'Missing vin (vehicle identification number)',
  };
  const noData = (reply: FastifyReply) => refuse(reply, 404, 'No data found for this VIN');

  app.get(`${prefix}/specs`, async (request, reply) => {
    const vin = admit(request, reply, 'specs', vinParameter);
    if (!vin) return reply;
    const car = carByVin(vin);
    if (!car) return noData(reply);
    return { success: true, input: { key: (request.query as Query).key, vin }, ...specsOf(car) };
  });

  app.get(`${prefix}/history`, async (request, reply) => {
    const vin = admit(request, reply, 'history', vinParameter);
    if (!vin) return reply;
    const car = carByVin(vin);
    if (!car) return noData(reply);
    return { success: true, ...historyOf(car) };
  });

  app.get(`${prefix}/v1/recalls`, async (request, reply) => {
    const vin = admit(request, reply, 'recalls', vinParameter);
    if (!vin) return reply;
    const car = carByVin(vin);
    if (!car) return noData(reply);
    return { success: true, input: { key: (request.query as Query).key, vin }, data: recallsOf(car) };
  });

  app.get(`${prefix}/v2/marketvalue`, async (request, reply) => {
    const vin = admit(request, reply, 'marketvalue', vinParameter);
    if (!vin) return reply;
    const car = carByVin(vin);
    if (!car) return noData(reply);
    const query = request.query as Query;
    const mileage = query.mileage !== undefined && /^\d+$/.test(query.mileage) ? Number(query.mileage) : undefined;
    // No `success` field on this one, as at CarsXE.
    return {
      input: { key: query.key, vin, ...(query.state ? { state: query.state } : {}) },
      ...marketValueOf(car, mileage),
    };
  });

  app.get(`${prefix}/obdcodesdecoder`, async (request, reply) => {
    const code = admit(request, reply, 'obdcodesdecoder', {
      name: 'code',
      valid: (value) => /^[PBCU][0-9A-F]{4}$/i.test(value),
      missing: 'Missing OBD code',
    });
    if (!code) return reply;
    const diagnosis = obdCode(code.toUpperCase());
    if (!diagnosis) return refuse(reply, 404, `Could not find code ${code.toUpperCase()}`);
    return { success: true, code: code.toUpperCase(), diagnosis, date: new Date(shared.clock.now()).toISOString() };
  });
}
