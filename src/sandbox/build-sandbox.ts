/**
 * Builds the sandbox provider as its own Fastify app. Fault injection runs first on every request, so a test can
 * make the token endpoint or the API slow, fail with a 5xx, or drop the connection for the next N calls.
 */
import formBody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { fastifyLoggerOptions } from '../logging/logger-options.ts';
import { DEFAULT_SETTINGS, MAX_CLIENT_SECRETS, type SandboxClient, type SandboxSettings } from './options.ts';
import { authorizeRoutes } from './routes/authorize.ts';
import { controlRoutes } from './routes/control.ts';
import { tokenRoutes } from './routes/token.ts';
import { vehicleApiRoutes } from './routes/vehicle-api.ts';
import { vehicleApiV3Routes } from './routes/vehicle-api-v3.ts';
import { sendSmartcarError } from './smartcar-error.ts';
import type { FaultTarget } from './state/faults.ts';
import { SandboxState } from './state/sandbox-state.ts';

export interface SandboxOptions {
  clients: SandboxClient[];
  settings?: Partial<SandboxSettings>;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

function faultTargetOf(request: FastifyRequest): FaultTarget | undefined {
  const path = request.url.split('?')[0] ?? '';
  if (path === '/oauth/token') return 'token';
  if (path === '/oauth2/token') return 'app_token';
  if (path.startsWith('/oauth/authorize')) return 'authorize';
  if (path.startsWith('/v2.0/') || path.startsWith('/v3/')) return 'api';
  return undefined;
}

export function buildSandbox(options: SandboxOptions): { app: FastifyInstance; state: SandboxState } {
  for (const client of options.clients) {
    if (client.secrets.length === 0 || client.secrets.length > MAX_CLIENT_SECRETS) {
      throw new Error(`sandbox client ${client.clientId} needs 1 to ${MAX_CLIENT_SECRETS} secrets`);
    }
  }
  const state = new SandboxState(options.clients, { ...DEFAULT_SETTINGS, ...options.settings });
  const app = Fastify({
    logger: fastifyLoggerOptions(options.logLevel ?? 'warn', options.logStream),
    bodyLimit: 64 * 1024,
  });
  app.register(formBody);

  const answerDelays = new WeakMap<FastifyRequest, number>();
  app.addHook('onSend', async (request) => {
    const delay = answerDelays.get(request);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  });

  app.addHook('onRequest', async (request, reply) => {
    const target = faultTargetOf(request);
    const fault = target ? state.faults.take(target) : undefined;
    if (!target || !fault) return;
    state.calls.add(`faulted.${target}`);
    if (fault.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return;
    }
    if (fault.kind === 'slow_answer') {
      answerDelays.set(request, fault.delayMs);
      return;
    }
    if (fault.kind === 'drop') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.status === 429) reply.header('retry-after', String(fault.retryAfterSeconds ?? 60));
    if (target === 'api') {
      return sendSmartcarError(reply, {
        status: fault.status,
        type: 'SERVER',
        code: null,
        description: 'Injected fault.',
      });
    }
    return reply.code(fault.status).send({ error: 'server_error', error_description: 'Injected fault.' });
  });

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>Sandbox</title><p>Keyfob sandbox provider. Connect starts at /oauth/authorize.</p>'),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  authorizeRoutes(app, state);
  tokenRoutes(app, state);
  vehicleApiRoutes(app, state);
  vehicleApiV3Routes(app, state);
  controlRoutes(app, state);
  return { app, state };
}
