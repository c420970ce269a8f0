/** High Mobility in the sandbox, for tests: its cars as the consent page names them, and its simulator's state. */
import type { HighMobilityState } from '../../src/sandbox/highmobility/state.ts';
import type { RunningSandbox } from '../../src/sandbox/start-sandbox.ts';
import { ALEX_ACCOUNT, SAM_ACCOUNT } from './connected.ts';

export const HM_CARS = {
  alexTesla: `${ALEX_ACCOUNT}:3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11`,
  alexRav4: `${ALEX_ACCOUNT}:8a2f4c6e-1d3b-4e5f-8a7b-9c0d1e2f3a21`,
  samFord: `${SAM_ACCOUNT}:c4e6a8b0-2d4f-4a6c-9e0b-1d3f5a7c9e31`,
  /** A BMW: its consent stays pending until the owner confirms at the carmaker. */
  samBmw: `${SAM_ACCOUNT}:d5f7b9c1-3e5a-4b7d-8f1c-2e4a6b8d0f41`,
} as const;

export function highMobilityState(sandbox: RunningSandbox | undefined): HighMobilityState {
  const state = sandbox?.state.simulators.get('highmobility') as HighMobilityState | undefined;
  if (!state) throw new Error('the sandbox runs no High Mobility simulator');
  return state;
}
