/** Smartcar as the registry lists it: its settings and its adapter. */
import type { ProviderModule } from '../provider-module.ts';
import { SMARTCAR_SETTINGS, type SmartcarSettings } from './settings.ts';
import { createSmartcarAdapter } from './smartcar-adapter.ts';

export const SMARTCAR: ProviderModule<SmartcarSettings> = {
  settings: SMARTCAR_SETTINGS,
  createAdapter: (settings, timeoutMs) => createSmartcarAdapter({ ...settings, timeoutMs }),
};
