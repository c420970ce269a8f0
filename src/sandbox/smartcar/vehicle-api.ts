/**
 * The Smartcar v2 vehicle API under `/v2.0`. Every call needs a live Bearer access token (401 AUTHENTICATION
 * otherwise), a vehicle of that grant (404), the endpoint's permission (403 PERMISSION), and stays under the
 * per-vehicle rate limit (429 RATE_LIMIT with `retry-after`). Answers carry `sc-data-age`, `sc-fetched-at`,
 * `sc-unit-system` and `sc-request-id`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import { type DataEndpoint, findEndpoint, type UnitSystem } from './data-endpoints.ts';
import { sendSmartcarError } from './smartcar-error.ts';
import type { SandboxGrant } from './token-store.ts';

const MAX_PAGE = 50;
const MAX_BATCH = 20;

function unitsOf(request: FastifyRequest): UnitSystem {
  return request.headers['sc-unit-system'] === 'imperial' ? 'imperial' : 'metric';
}

export function vehicleApiRoutes(app: FastifyInstance, state: SandboxState) {
  function authenticate(request: FastifyRequest, reply: FastifyReply): SandboxGrant | undefined {
    state.lastApiRequest = { method: request.method, url: request.url, headers: { ...request.headers } };
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const result = token ? state.tokens.authenticate(token) : 'invalid';
    if (typeof result === 'object') return result;
    sendSmartcarError(reply, {
      status: 401,
      type: 'AUTHENTICATION',
      code: null,
      description:
        result === 'expired' ? 'The access token has expired.' : 'The access token is invalid or was revoked.',
    });
    return undefined;
  }

  /** Checks grant, vehicle and rate limit; answers the error itself and returns undefined when one fails. */
  function vehicleFor(reply: FastifyReply, grant: SandboxGrant, vehicleId: string) {
    const vehicle = grant.vehicleIds.has(vehicleId) ? state.vehicle(vehicleId) : undefined;
    if (!vehicle) {
      sendSmartcarError(reply, {
        status: 404,
        type: 'RESOURCE_NOT_FOUND',
        code: 'VEHICLE',
        description: 'No vehicle with this id is connected to this application.',
      });
      return undefined;
    }
    const wait = state.rateLimiter.hit(vehicleId, state.settings.rateLimitPerMinute, state.clock.now());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      sendSmartcarError(reply, {
        status: 429,
        type: 'RATE_LIMIT',
        code: 'VEHICLE',
        description: 'You have reached the rate limit for this vehicle.',
        suggestedUserMessage: 'Your vehicle is temporarily unable to connect. Please be patient while we reconnect.',
      });
      return undefined;
    }
    return vehicle;
  }

  function permissionError(endpoint: DataEndpoint) {
    return {
      status: 403,
      type: 'PERMISSION',
      code: null,
      description: `Your application has insufficient permissions to access the requested resource. Please prompt the user to re-authenticate using Smartcar Connect. Missing: ${endpoint.permission}.`,
    };
  }

  function dataHeaders(reply: FastifyReply, updatedAt: number, units: UnitSystem) {
    reply
      .header('sc-data-age', new Date(updatedAt).toISOString())
      .header('sc-fetched-at', new Date(state.clock.now()).toISOString())
      .header('sc-unit-system', units)
      .header('sc-request-id', String(reply.request.id));
  }

  app.get('/v2.0/user', async (request, reply) => {
    state.calls.add('api.GET /user');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    return reply.header('sc-request-id', String(request.id)).send({ id: grant.accountId });
  });

  app.get('/v2.0/vehicles', async (request, reply) => {
    state.calls.add('api.GET /vehicles');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    const query = request.query as { limit?: string; offset?: string };
    const limit = query.limit === undefined ? 10 : Number(query.limit);
    const offset = query.offset === undefined ? 0 : Number(query.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE || !Number.isInteger(offset) || offset < 0) {
      return sendSmartcarError(reply, {
        status: 400,
        type: 'VALIDATION',
        code: 'PARAMETER',
        description: `limit must be an integer from 1 to ${MAX_PAGE} and offset a non-negative integer.`,
      });
    }
    const ids = [...grant.vehicleIds];
    const page = ids.slice(offset, offset + limit);
    return reply
      .header('sc-request-id', String(request.id))
      .send({ vehicles: page, paging: { count: ids.length, offset } });
  });

  app.get('/v2.0/vehicles/:id/permissions', async (request, reply) => {
    state.calls.add('api.GET /permissions');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    const vehicle = vehicleFor(reply, grant, (request.params as { id: string }).id);
    if (!vehicle) return reply;
    return reply
      .header('sc-request-id', String(request.id))
      .send({ permissions: grant.scopes, paging: { count: grant.scopes.length, offset: 0 } });
  });

  app.delete('/v2.0/vehicles/:id/application', async (request, reply) => {
    state.calls.add('api.DELETE /application');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    const vehicleId = (request.params as { id: string }).id;
    if (!vehicleFor(reply, grant, vehicleId)) return reply;
    grant.vehicleIds.delete(vehicleId);
    return reply.header('sc-request-id', String(request.id)).send({ status: 'success' });
  });

  app.post('/v2.0/vehicles/:id/batch', async (request, reply) => {
    state.calls.add('api.POST /batch');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    const vehicle = vehicleFor(reply, grant, (request.params as { id: string }).id);
    if (!vehicle) return reply;
    const requests = (request.body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_BATCH) {
      return sendSmartcarError(reply, {
        status: 400,
        type: 'VALIDATION',
        code: 'PARAMETER',
        description: `Body must be { "requests": [{ "path": "/odometer" }, ...] } with 1 to ${MAX_BATCH} requests.`,
      });
    }
    const units = unitsOf(request);
    const headers = {
      'sc-data-age': new Date(vehicle.updatedAt).toISOString(),
      'sc-fetched-at': new Date(state.clock.now()).toISOString(),
      'sc-unit-system': units,
    };
    const responses = requests.map((item) => {
      const path = typeof (item as { path?: unknown })?.path === 'string' ? (item as { path: string }).path : '';
      const endpoint = path ? findEndpoint('GET', path) : undefined;
      if (!endpoint) {
        return { path, code: 404, body: { type: 'RESOURCE_NOT_FOUND', code: 'PATH', description: 'Unknown path.' } };
      }
      if (endpoint.permission && !grant.scopes.includes(endpoint.permission)) {
        const { status, ...body } = permissionError(endpoint);
        return { path, code: status, body };
      }
      const result = endpoint.run(vehicle, units, undefined);
      if (!result.ok)
        return {
          path,
          code: result.status,
          body: { type: result.type, code: result.code, description: result.description },
        };
      return { path, code: 200, body: result.body, headers };
    });
    dataHeaders(reply, vehicle.updatedAt, units);
    return reply.send({ responses });
  });

  // Every data endpoint of the table, GET and POST alike.
  app.route({
    method: ['GET', 'POST'],
    url: '/v2.0/vehicles/:id/*',
    handler: async (request, reply) => {
      const path = `/${(request.params as { '*': string })['*']}`.replace(/\/$/, '');
      const endpoint = findEndpoint(request.method, path);
      state.calls.add(`api.${request.method} ${path}`);
      const grant = authenticate(request, reply);
      if (!grant) return reply;
      if (!endpoint) {
        return sendSmartcarError(reply, {
          status: 404,
          type: 'RESOURCE_NOT_FOUND',
          code: 'PATH',
          description: `${request.method} ${path} is not an endpoint of this API.`,
        });
      }
      return runEndpoint(request, reply, grant, endpoint);
    },
  });

  app.get('/v2.0/vehicles/:id', async (request, reply) => {
    state.calls.add('api.GET /');
    const grant = authenticate(request, reply);
    if (!grant) return reply;
    return runEndpoint(request, reply, grant, findEndpoint('GET', '') as DataEndpoint);
  });

  function runEndpoint(request: FastifyRequest, reply: FastifyReply, grant: SandboxGrant, endpoint: DataEndpoint) {
    const vehicle = vehicleFor(reply, grant, (request.params as { id: string }).id);
    if (!vehicle) return reply;
    if (vehicle.reachability !== 'ONLINE') {
      return sendSmartcarError(reply, {
        status: 409,
        type: 'VEHICLE_STATE',
        code: vehicle.reachability,
        description: `The vehicle is ${vehicle.reachability.toLowerCase().replace(/_/g, ' ')} and did not respond.`,
      });
    }
    if (endpoint.permission && !grant.scopes.includes(endpoint.permission)) {
      return sendSmartcarError(reply, permissionError(endpoint));
    }
    const units = unitsOf(request);
    const result = endpoint.run(vehicle, units, request.body);
    if (!result.ok) return sendSmartcarError(reply, result);
    if (endpoint.method === 'POST') state.vehicleChanged((request.params as { id: string }).id);
    dataHeaders(reply, vehicle.updatedAt, units);
    return reply.send(result.body);
  }
}
