/**
 * The High Mobility simulator, mounted under `/highmobility` on the sandbox: consent page, JSON token endpoint
 * (consumer codes and refreshes with rotation and strict reuse detection, fleet tokens by secret or ES256
 * assertion), vehicle info, Auto API data, fleet clearance, and its test controls. It shares the sandbox's cars,
 * clock, call counters, faults and rate limits with the Smartcar simulator.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility)
 */
import { createPublicKey } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Simulator } from '../registry.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import { consentRoutes } from './consent.ts';
import { highMobilityControlRoutes } from './control.ts';
import { createFleetTokens } from './fleet-auth.ts';
import { fleetClearanceRoutes } from './fleet-clearance.ts';
import { sendApiError, sendTokenError } from './hm-error.ts';
import {
  DEFAULT_HIGHMOBILITY_SETTINGS,
  type HighMobilitySandboxClient,
  type HighMobilitySandboxSettings,
} from './options.ts';
import { HighMobilityState } from './state.ts';
import { tokenEndpointRoutes } from './token-endpoint.ts';
import { vehicleDataRoutes } from './vehicle-data.ts';

export const HIGHMOBILITY_PREFIX = '/highmobility';

export interface HighMobilitySandboxOptions {
  clients: HighMobilitySandboxClient[];
  settings?: Partial<HighMobilitySandboxSettings>;
}

export function highMobilityFaultTarget(path: string) {
  if (!path.startsWith(`${HIGHMOBILITY_PREFIX}/`)) return undefined;
  if (path.startsWith(`${HIGHMOBILITY_PREFIX}/oauth/`)) return 'highmobility.authorize' as const;
  if (path === `${HIGHMOBILITY_PREFIX}/v1/access_tokens`) return 'highmobility.token' as const;
  return 'highmobility.api' as const;
}

export function sendHighMobilityFault(reply: FastifyReply, target: string, status: number) {
  return target === 'highmobility.token'
    ? status === 400
      ? sendTokenError(reply, 'Injected fault.')
      : reply.code(status).send({ error: 'server_error', error_description: 'Injected fault.' })
    : sendApiError(reply, status, 'Injected fault', 'Injected fault.');
}

export async function registerHighMobility(
  app: FastifyInstance,
  shared: SandboxState,
  options: HighMobilitySandboxOptions,
): Promise<HighMobilityState> {
  const hm = new HighMobilityState(
    options.clients,
    { ...DEFAULT_HIGHMOBILITY_SETTINGS, ...options.settings },
    shared.clock,
  );
  shared.simulators.set('highmobility', hm);
  const fleet = await createFleetTokens(hm);
  consentRoutes(app, shared, hm, HIGHMOBILITY_PREFIX);
  tokenEndpointRoutes(app, shared, hm, fleet, HIGHMOBILITY_PREFIX);
  vehicleDataRoutes(app, shared, hm, fleet, HIGHMOBILITY_PREFIX);
  fleetClearanceRoutes(app, shared, hm, fleet, HIGHMOBILITY_PREFIX);
  highMobilityControlRoutes(app, hm);
  return hm;
}

export const HIGHMOBILITY_SIMULATOR: Simulator = {
  faultTargets: ['highmobility.authorize', 'highmobility.token', 'highmobility.api'],
  faultTarget: highMobilityFaultTarget,
  sendFault: sendHighMobilityFault,
  register: async (app, state, options) => {
    const own = options.simulators?.highmobility as HighMobilitySandboxOptions | undefined;
    if (own) await registerHighMobility(app, state, own);
  },
  pointKeyfobAt: (config, url) => ({
    ...config,
    highmobility: {
      ...config.highmobility,
      authUrl: `${url}${HIGHMOBILITY_PREFIX}/oauth/new`,
      apiUrl: `${url}${HIGHMOBILITY_PREFIX}`,
    },
  }),
  // Keyfob's client; when Keyfob holds an assertion key, its public half is registered under the key's id.
  optionsFor: ({ highmobility }, redirectUris) => ({
    simulators: {
      highmobility: {
        clients: [
          {
            clientId: highmobility.clientId,
            secrets: [highmobility.clientSecret],
            appId: highmobility.appId,
            redirectUris,
            keys:
              highmobility.privateKeyPem && highmobility.privateKeyId
                ? [
                    {
                      id: highmobility.privateKeyId,
                      publicKeyPem: createPublicKey(highmobility.privateKeyPem)
                        .export({ type: 'spki', format: 'pem' })
                        .toString(),
                    },
                  ]
                : [],
          },
        ],
      } satisfies HighMobilitySandboxOptions,
    },
  }),
};
