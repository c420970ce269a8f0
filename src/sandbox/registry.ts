/**
 * Every provider the sandbox simulates, one entry each: where its paths live, which fault target a path is, how an
 * injected error looks in that provider's own shape, and the settings that point Keyfob's adapter at it. Adding a
 * provider is its folder beside this file and one entry below.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config/load-config.ts';
import type { ProviderName } from '../config/provider-settings.ts';
import type { SandboxOptions } from './build-sandbox.ts';
import {
  HIGHMOBILITY_PREFIX,
  highMobilityFaultTarget,
  registerHighMobility,
  sendHighMobilityFault,
} from './highmobility/index.ts';
import { registerSmartcar, sendSmartcarFault, smartcarFaultTarget } from './smartcar/index.ts';
import type { SandboxState } from './state/sandbox-state.ts';

export interface Simulator {
  faultTarget(path: string): string | undefined;
  sendFault(reply: FastifyReply, target: string, status: number): FastifyReply;
  register(app: FastifyInstance, state: SandboxState, options: SandboxOptions): Promise<void> | void;
  /** Keyfob's configuration with this provider pointed at a sandbox listening on `url`. */
  pointKeyfobAt(config: Config, url: string): Config;
}

export const SIMULATORS: Record<ProviderName, Simulator> = {
  smartcar: {
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
  },
  highmobility: {
    faultTarget: highMobilityFaultTarget,
    sendFault: sendHighMobilityFault,
    register: async (app, state, options) => {
      if (options.highmobility) await registerHighMobility(app, state, options.highmobility);
    },
    pointKeyfobAt: (config, url) => ({
      ...config,
      highmobility: {
        ...config.highmobility,
        authUrl: `${url}${HIGHMOBILITY_PREFIX}/oauth/new`,
        apiUrl: `${url}${HIGHMOBILITY_PREFIX}`,
      },
    }),
  },
};

export const FAULT_TARGETS = [
  'authorize',
  'token',
  'app_token',
  'api',
  'highmobility.authorize',
  'highmobility.token',
  'highmobility.api',
] as const;
