/**
 * Builds the sandbox as its own Fastify app, with every simulator of registry.ts (Smartcar at the root paths,
 * High Mobility under /highmobility, CarsXE under /carsxe). Fault injection runs first on every request, so a test can make a token
 * endpoint or an API slow, fail with an error in that provider's own shape, or drop the connection for the next N
 * calls.
 */
import formBody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { fastifyLoggerOptions } from '../logging/logger-options.ts';
import { DEFAULT_SETTINGS, MAX_CLIENT_SECRETS, type SandboxClient, type SandboxSettings } from './options.ts';
import { SIMULATORS, type Simulator } from './registry.ts';
import { controlRoutes } from './routes/control.ts';
import { type SmartcarWebhookTarget, smartcarWebhooks } from './smartcar/webhooks.ts';
import type { FaultTarget } from './state/faults.ts';
import { SandboxState } from './state/sandbox-state.ts';

export interface SandboxOptions {
  /** Smartcar's registered clients. */
  clients: SandboxClient[];
  settings?: Partial<SandboxSettings>;
  /**
   * The other simulators' options, by provider name (High Mobility's clients and settings under `highmobility`:
   * `HighMobilitySandboxOptions`); a simulator without options is not mounted.
   */
  simulators?: Record<string, unknown>;
  /** Where the Smartcar simulator posts its webhooks, and the AMT that signs them; none: it sends none. */
  smartcarWebhook?: SmartcarWebhookTarget;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

function faultTargetOf(request: FastifyRequest): { target: FaultTarget; simulator: Simulator } | undefined {
  const path = request.url.split('?')[0] ?? '';
  for (const simulator of Object.values(SIMULATORS)) {
    const target = simulator.faultTarget(path) as FaultTarget | undefined;
    if (target) return { target, simulator };
  }
  return undefined;
}

export async function buildSandbox(options: SandboxOptions): Promise<{ app: FastifyInstance; state: SandboxState }> {
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
    const found = faultTargetOf(request);
    const target = found?.target;
    const fault = target ? state.faults.take(target) : undefined;
    if (!found || !target || !fault) return;
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
    return found.simulator.sendFault(reply, target, fault.status);
  });

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><title>Sandbox</title><p>Keyfob sandbox: Smartcar Connect starts at /oauth/authorize, ' +
          'High Mobility consent at /highmobility/oauth/new.</p>',
      ),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  for (const simulator of Object.values(SIMULATORS)) await simulator.register(app, state, options);
  if (options.smartcarWebhook) smartcarWebhooks(app, state, options.smartcarWebhook);
  controlRoutes(app, state);
  return { app, state };
}
