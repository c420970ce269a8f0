/**
 * The Smartcar simulator, at the sandbox's root paths as Smartcar's hosts have them: Connect consent pages,
 * `/oauth/token` (v2 user tokens), `/oauth2/token` (v3 application tokens), the v2 and v3 vehicle APIs.
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Simulator } from '../registry.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import { authorizeRoutes } from './authorize.ts';
import { connectionControlRoutes } from './connection-controls.ts';
import { sendSmartcarError } from './smartcar-error.ts';
import { tokenRoutes } from './token.ts';
import { vehicleApiRoutes } from './vehicle-api.ts';
import { vehicleApiV3Routes } from './vehicle-api-v3.ts';

export function smartcarFaultTarget(path: string) {
  if (path === '/oauth/token') return 'token' as const;
  if (path === '/oauth2/token') return 'app_token' as const;
  if (path.startsWith('/oauth/authorize')) return 'authorize' as const;
  if (path.startsWith('/v2.0/') || path.startsWith('/v3/')) return 'api' as const;
  return undefined;
}

export function sendSmartcarFault(reply: FastifyReply, target: string, status: number) {
  if (target === 'api')
    return sendSmartcarError(reply, { status, type: 'SERVER', code: null, description: 'Injected fault.' });
  return reply.code(status).send({ error: 'server_error', error_description: 'Injected fault.' });
}

export function registerSmartcar(app: FastifyInstance, state: SandboxState) {
  authorizeRoutes(app, state);
  tokenRoutes(app, state);
  vehicleApiRoutes(app, state);
  vehicleApiV3Routes(app, state);
  connectionControlRoutes(app, state);
}

export const SMARTCAR_SIMULATOR: Simulator = {
  faultTargets: ['authorize', 'token', 'app_token', 'api'],
  faultTarget: smartcarFaultTarget,
  sendFault: sendSmartcarFault,
  register: (app, state) => registerSmartcar(app, state),
  pointKeyfobAt: (config, url) => ({
    ...config,
    smartcar: {
      ...config.smartcar,
      connectUrl: url,
      authUrl: url,
      apiUrl: `${url}/v2.0`,
      v3ApiUrl: `${url}/v3`,
      iamUrl: url,
    },
  }),
  // Keyfob's client, and its webhook endpoint when Keyfob has an AMT: the sandbox signs its events with it.
  optionsFor: (config, redirectUris) => ({
    clients: [{ clientId: config.smartcar.clientId, secrets: [config.smartcar.clientSecret], redirectUris }],
    ...(config.smartcar.webhookAmt
      ? { smartcarWebhook: { url: `${config.publicUrl}/webhooks/smartcar`, amt: config.smartcar.webhookAmt } }
      : {}),
  }),
};
