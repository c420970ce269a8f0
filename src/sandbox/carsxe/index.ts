/**
 * The CarsXE simulator, under `/carsxe` on the sandbox: the VIN data API (api-routes.ts) and its test controls
 * under `/sandbox/carsxe` (settings, usage, blocking the keys).
 * @see ../../../../shared/reference/vehicle-apis.md (CarsXE)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Simulator } from '../registry.ts';
import { patchSettings } from '../routes/settings-patch.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import { carsxeApiRoutes } from './api-routes.ts';
import { type CarsxeSandboxOptions, CarsxeState } from './state.ts';

export const CARSXE_PREFIX = '/carsxe';

function controlRoutes(app: FastifyInstance, carsxe: CarsxeState) {
  app.get('/sandbox/carsxe/settings', async () => carsxe.settings);
  app.patch('/sandbox/carsxe/settings', async (request, reply) => {
    const patched = patchSettings(carsxe.settings, (request.body ?? {}) as Record<string, unknown>, {
      keylessStatus: ['payment_required', 'unauthorized'],
    });
    if ('invalid' in patched) return reply.code(400).send({ error: 'invalid_setting', message: patched.invalid });
    carsxe.settings = patched.settings;
    return carsxe.settings;
  });
  /** Billed calls per API in this period (keys are not shown); DELETE starts a new period. */
  app.get('/sandbox/carsxe/usage', async () => {
    const byApi: Record<string, number> = {};
    for (const [id, count] of carsxe.usage) {
      const api = id.split(' ')[1] as string;
      byApi[api] = (byApi[api] ?? 0) + count;
    }
    return byApi;
  });
  app.delete('/sandbox/carsxe/usage', async () => {
    carsxe.usage.clear();
    return { reset: true };
  });
  /** `{ blocked: true }` blocks every issued key (CarsXE's 403), `false` lifts it. */
  app.post('/sandbox/carsxe/block', async (request, reply) => {
    const { blocked } = (request.body ?? {}) as { blocked?: unknown };
    if (typeof blocked !== 'boolean')
      return reply.code(400).send({ error: 'invalid_block', message: 'blocked: boolean' });
    for (const key of carsxe.keys.values()) key.blocked = blocked;
    return { blocked };
  });
}

export const CARSXE_SIMULATOR: Simulator = {
  faultTargets: ['carsxe.api'],
  faultTarget: (path) => (path.startsWith(`${CARSXE_PREFIX}/`) ? 'carsxe.api' : undefined),
  sendFault: (reply: FastifyReply, _target: string, status: number) =>
    reply.code(status).send({ success: false, message: 'Injected fault.' }),
  register: (app: FastifyInstance, state: SandboxState, options) => {
    const own = options.simulators?.carsxe as CarsxeSandboxOptions | undefined;
    if (!own) return;
    const carsxe = new CarsxeState(own);
    state.simulators.set('carsxe', carsxe);
    carsxeApiRoutes(app, state, carsxe, CARSXE_PREFIX);
    controlRoutes(app, carsxe);
  },
  pointKeyfobAt: (config, url) =>
    config.carsxe ? { ...config, carsxe: { ...config.carsxe, apiUrl: `${url}${CARSXE_PREFIX}` } } : config,
  optionsFor: (config) => ({
    simulators: config.carsxe ? { carsxe: { apiKeys: [config.carsxe.apiKey] } satisfies CarsxeSandboxOptions } : {},
  }),
};
