/**
 * Which vehicle providers are enabled and how each is reached, from `PROVIDERS` and each provider's own variables
 * (declared in its folder, src/providers/<name>/settings.ts). Outside production, a provider enabled without its
 * credentials runs against the built-in sandbox, which simulates every provider; with no provider settings at all,
 * all are enabled that way. Production needs `PROVIDERS` and each enabled provider's credentials.
 */

import { PROVIDER_NAMES, PROVIDER_REGISTRY, type ProviderName } from '../providers/registry.ts';
import type { ConfigProblem } from './config-error.ts';

export type { ProviderName };

/** The enabled providers and, of them, the ones the built-in sandbox stands in for. */
export function resolveProviders(
  raw: Record<string, unknown>,
  listed: string | undefined,
  production: boolean,
  problems: ConfigProblem[],
): { providers: ProviderName[]; sandboxed: ProviderName[] } {
  const named = listed
    ?.split(',')
    .map((name) => name.trim())
    .filter((name): name is ProviderName => (PROVIDER_NAMES as string[]).includes(name));
  const credentialsOf = (name: ProviderName) => PROVIDER_REGISTRY[name].settings.credentials;
  const configured = PROVIDER_NAMES.filter((name) =>
    credentialsOf(name).some((variable) => raw[variable] !== undefined),
  );
  let providers: ProviderName[];
  if (named && named.length > 0) providers = [...new Set(named)];
  else if (production) {
    problems.push({
      variable: 'PROVIDERS',
      expected: `required when NODE_ENV=production: ${PROVIDER_NAMES.join(', ')}`,
    });
    providers = [];
  } else providers = configured.length > 0 ? configured : [...PROVIDER_NAMES];
  const sandboxed: ProviderName[] = [];
  for (const name of providers) {
    const missing = credentialsOf(name).filter((variable) => raw[variable] === undefined);
    if (missing.length === 0) continue;
    if (production || missing.length < credentialsOf(name).length) {
      for (const variable of missing) {
        problems.push({
          variable,
          expected: production ? `required when ${name} is in PROVIDERS` : `required with the other ${name} settings`,
        });
      }
    } else sandboxed.push(name);
  }
  return { providers, sandboxed };
}

/** Fresh sandbox credentials for every provider (each provider says what its own look like). */
export function newSandboxCredentials(): Record<string, string> {
  return Object.assign({}, ...PROVIDER_NAMES.map((name) => PROVIDER_REGISTRY[name].settings.sandboxCredentials()));
}
