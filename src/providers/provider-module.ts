/**
 * What a provider's folder gives the rest of Keyfob, listed once in registry.ts: its settings (environment
 * variables, which of them are credentials, how they become the adapter's settings, and fresh credentials for the
 * built-in sandbox) and how its adapter is built. The configuration, the app and the sandbox read providers only
 * through this, so a new provider touches its own folders and the registry lines, nothing else.
 */
import { type TSchema, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../config/config-error.ts';
import type { ProviderAdapter } from './provider-adapter.ts';

/** An optional, non-empty text variable (a client id, a secret, a key id). */
export const optionalText = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

export interface ProviderSettingsSpec<S> {
  /** The provider's environment variables (TypeBox), merged into the one environment schema. */
  env: Record<string, TSchema>;
  /** The variables that make real credentials: all set, the real provider; none set outside production, the sandbox. */
  credentials: readonly string[];
  /** Variables holding http(s) URLs, checked at start. */
  urls: readonly string[];
  /** Credentials for the built-in sandbox, generated once and kept with the development secrets. */
  sandboxCredentials(): Record<string, string>;
  /** The adapter's settings from the validated environment (defaults applied); problems name bad variables. */
  read(
    env: Record<string, unknown>,
    /** `raw`: the variables as set, before defaults; `sandboxed`: the built-in sandbox stands in for the provider. */
    context: { sandboxed: boolean; raw: Record<string, unknown> },
    problems: ConfigProblem[],
  ): S;
}

export interface ProviderModule<S> {
  settings: ProviderSettingsSpec<S>;
  createAdapter(settings: S, timeoutMs: number): ProviderAdapter;
}
