/** High Mobility as the registry lists it: its settings and its adapter. */
import type { ProviderModule } from '../provider-module.ts';
import { createHighMobilityAdapter } from './highmobility-adapter.ts';
import { HIGHMOBILITY_SETTINGS, type HighMobilitySettings } from './settings.ts';

export const HIGHMOBILITY: ProviderModule<HighMobilitySettings> = {
  settings: HIGHMOBILITY_SETTINGS,
  createAdapter: (settings, timeoutMs) => createHighMobilityAdapter({ ...settings, timeoutMs }),
};
