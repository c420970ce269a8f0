/**
 * Every provider and data service the sandbox simulates, one line each. Each simulator's folder says where its paths live, which
 * fault target a path is, how an injected error looks in that provider's own shape, how Keyfob's client is
 * registered with it, and the settings that point Keyfob's adapter at it. Adding a provider is its folder beside
 * this file and one line below.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config/load-config.ts';
import type { ProviderName } from '../config/provider-settings.ts';
import type { SandboxOptions } from './build-sandbox.ts';
import { CARSXE_SIMULATOR } from './carsxe/index.ts';
import { HIGHMOBILITY_SIMULATOR } from './highmobility/index.ts';
import { SMARTCAR_SIMULATOR } from './smartcar/index.ts';
import type { SandboxState } from './state/sandbox-state.ts';

export interface Simulator {
  /** The targets a test can inject faults into (the next N calls to a token endpoint, an API ...). */
  faultTargets: readonly string[];
  /** The fault target of a request path, if this simulator serves it. */
  faultTarget(path: string): string | undefined;
  sendFault(reply: FastifyReply, target: string, status: number): FastifyReply;
  register(app: FastifyInstance, state: SandboxState, options: SandboxOptions): Promise<void> | void;
  /** Keyfob's configuration with this provider pointed at a sandbox listening on `url`. */
  pointKeyfobAt(config: Config, url: string): Config;
  /** The sandbox options that register Keyfob's own client (from its configured settings) at this simulator. */
  optionsFor(config: Config, redirectUris: string[]): Partial<SandboxOptions>;
}

export type SimulatorName = ProviderName | 'carsxe';

export const SIMULATORS: Record<SimulatorName, Simulator> = {
  smartcar: SMARTCAR_SIMULATOR,
  highmobility: HIGHMOBILITY_SIMULATOR,
  carsxe: CARSXE_SIMULATOR,
};

/** What the built-in sandbox stands in for under this configuration: providers, and CarsXE without a key. */
export function sandboxedSimulators(config: Config): SimulatorName[] {
  return [...config.sandboxedProviders, ...(config.carsxe?.sandboxed ? (['carsxe'] as const) : [])];
}

/** Every fault target of every simulator (`token`, `api`, `highmobility.token` ...). */
export const FAULT_TARGETS: readonly string[] = Object.values(SIMULATORS).flatMap(
  (simulator) => simulator.faultTargets,
);
