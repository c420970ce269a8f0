/**
 * The Smartcar v3 vehicle API under `/v3`: every call carries an application token (client credentials, from
 * `/oauth2/token`) and `sc-user-id`, the user from the Connect flow. The user must have connected the vehicle to
 * this application (a live grant of this client that covers it): otherwise 403. Errors use the v3 body
 * `{ errors: [{ status, type, code, title, detail, resolution }] }`. Commands answer 202.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxState } from '../state/sandbox-state.ts';
import { SIGNALS, signalResource } from './signals-v3.ts';

function v3Error(reply: FastifyReply, status: number, type: string, code: string, detail: string) {
  const resolution = status === 401 ? 'REAUTHENTICATE' : status === 429 ? 'RETRY_LATER' : null;
  return reply.code(status).send({
    errors: [
      {
        status: String(status),
        type,
        code,
        title: type.replace(/_/g, ' ').toLowerCase(),
        detail,
        resolution: { type: resolution },
      },
    ],
  });
}

export function vehicleApiV3Routes(app: FastifyInstance, state: SandboxState) {
  /** The application and the user's permissions for this vehicle, or an error answered. */
  function authorize(request: FastifyRequest, reply: FastifyReply, vehicleId: string) {
    state.lastApiRequest = { method: request.method, url: request.url, headers: { ...request.headers } };
    const header = request.headers.authorization ?? '';
    const app = header.startsWith('Bearer ') ? state.tokens.authenticateApp(header.slice(7)) : 'invalid';
    if (typeof app !== 'object') {
      v3Error(
        reply,
        401,
        'AUTHENTICATION',
        app === 'expired' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN',
        'The application token is missing, invalid or expired.',
      );
      return undefined;
    }
    const userId = request.headers['sc-user-id'];
    if (typeof userId !== 'string' || userId.length === 0) {
      v3Error(reply, 400, 'VALIDATION', 'MISSING_USER_ID', 'The sc-user-id header is required.');
      return undefined;
    }
    const grants = [...state.tokens.grants.values()].filter(
      (grant) =>
        !grant.revoked &&
        grant.clientId === app.clientId &&
        grant.accountId === userId &&
        grant.vehicleIds.has(vehicleId),
    );
    const vehicle = grants.length > 0 ? state.vehicle(vehicleId) : undefined;
    if (!vehicle) {
      v3Error(
        reply,
        403,
        'PERMISSION',
        'VEHICLE_NOT_AUTHORIZED',
        'This user has not connected this vehicle to this application.',
      );
      return undefined;
    }
    return { vehicle, permissions: new Set(grants.flatMap((grant) => grant.scopes)) };
  }

  app.get('/v3/vehicles/:id', async (request, reply) => {
    state.calls.add('api_v3.GET /');
    const id = (request.params as { id: string }).id;
    const access = authorize(request, reply, id);
    if (!access) return reply;
    const { spec } = access.vehicle;
    return {
      data: {
        id,
        type: 'vehicle',
        attributes: {
          make: spec.make,
          model: spec.model,
          year: spec.year,
          powertrainType: spec.powertrain === 'electric' ? 'BEV' : 'ICE',
          mode: 'simulated',
        },
      },
    };
  });

  app.get('/v3/vehicles/:id/signals', async (request, reply) => {
    state.calls.add('api_v3.GET /signals');
    const id = (request.params as { id: string }).id;
    const access = authorize(request, reply, id);
    if (!access) return reply;
    const now = state.clock.now();
    const data = SIGNALS.filter((s) => s.available(access.vehicle) && access.permissions.has(s.permission)).map((s) =>
      signalResource(s, access.vehicle, now),
    );
    return { data };
  });

  app.get('/v3/vehicles/:id/signals/:code', async (request, reply) => {
    const { id, code } = request.params as { id: string; code: string };
    state.calls.add(`api_v3.GET /signals/${code}`);
    const access = authorize(request, reply, id);
    if (!access) return reply;
    const signal = SIGNALS.find((item) => item.code === code);
    if (!signal?.available(access.vehicle)) {
      return v3Error(reply, 404, 'RESOURCE_NOT_FOUND', 'SIGNAL_NOT_FOUND', `This vehicle has no signal ${code}.`);
    }
    if (!access.permissions.has(signal.permission)) {
      return v3Error(reply, 403, 'PERMISSION', 'MISSING_PERMISSION', `The user did not grant ${signal.permission}.`);
    }
    return { data: signalResource(signal, access.vehicle, state.clock.now()) };
  });

  app.post('/v3/vehicles/:id/commands/:command', async (request, reply) => {
    const { id, command } = request.params as { id: string; command: string };
    state.calls.add(`api_v3.POST /commands/${command}`);
    const access = authorize(request, reply, id);
    if (!access) return reply;
    if (command !== 'lock' && command !== 'unlock') {
      return v3Error(reply, 404, 'RESOURCE_NOT_FOUND', 'COMMAND_NOT_FOUND', `There is no command ${command}.`);
    }
    if (!access.permissions.has('control_security')) {
      return v3Error(reply, 403, 'PERMISSION', 'MISSING_PERMISSION', 'The user did not grant control_security.');
    }
    access.vehicle.isLocked = command === 'lock';
    state.vehicleChanged(id);
    return reply
      .code(202)
      .send({ data: { id: randomUUID(), type: 'command', attributes: { command, status: 'PENDING' } } });
  });
}
