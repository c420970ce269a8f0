/**
 * Which vehicle providers are enabled and how each is reached, from `PROVIDERS` and each provider's own prefix
 * (`SMARTCAR_*`, `HIGHMOBILITY_*`). Outside production, a provider enabled without its client id runs against the
 * built-in sandbox, which simulates both; with no provider settings at all, both are enabled that way. Production
 * needs `PROVIDERS` and each enabled provider's credentials.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Env, PROVIDER_NAMES } from './env-schema.ts';

export type ProviderName = (typeof PROVIDER_NAMES)[number];
export type Problem = { variable: string; expected: string };

export interface HighMobilitySettings {
  clientId: string;
  clientSecret: string;
  appId: string;
  authUrl: string;
  apiUrl: string;
  /** The fleet client assertion's key (PEM text, never a path) and its console id; absent: the secret is used. */
  privateKeyPem: string | undefined;
  privateKeyId: string | undefined;
}

const SETTINGS_OF: Record<ProviderName, RegExp> = {
  smartcar: /^SMARTCAR_(CLIENT_ID|CLIENT_SECRET)$/,
  highmobility: /^HIGHMOBILITY_(CLIENT_ID|CLIENT_SECRET|APP_ID)$/,
};

const CREDENTIALS: Record<ProviderName, string[]> = {
  smartcar: ['SMARTCAR_CLIENT_ID', 'SMARTCAR_CLIENT_SECRET'],
  highmobility: ['HIGHMOBILITY_CLIENT_ID', 'HIGHMOBILITY_CLIENT_SECRET', 'HIGHMOBILITY_APP_ID'],
};

/** The enabled providers and, of them, the ones the built-in sandbox stands in for. */
export function resolveProviders(
  raw: Record<string, unknown>,
  parsed: Env,
  production: boolean,
  problems: Problem[],
): { providers: ProviderName[]; sandboxed: ProviderName[] } {
  const listed = parsed.PROVIDERS?.split(',')
    .map((name) => name.trim())
    .filter((name): name is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(name));
  const configured = PROVIDER_NAMES.filter((name) => Object.keys(raw).some((key) => SETTINGS_OF[name].test(key)));
  let providers: ProviderName[];
  if (listed && listed.length > 0) providers = [...new Set(listed)];
  else if (production) {
    problems.push({
      variable: 'PROVIDERS',
      expected: `required when NODE_ENV=production: ${PROVIDER_NAMES.join(', ')}`,
    });
    providers = [];
  } else providers = configured.length > 0 ? configured : [...PROVIDER_NAMES];
  const sandboxed: ProviderName[] = [];
  for (const name of providers) {
    const missing = CREDENTIALS[name].filter((variable) => raw[variable] === undefined);
    if (missing.length === 0) continue;
    if (production || missing.length < CREDENTIALS[name].length) {
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

/** The fleet assertion key: a PEM in the variable, or the path of a PEM file. Never logged or stored. */
export function readPrivateKey(value: string | undefined, problems: Problem[]): string | undefined {
  if (value === undefined) return undefined;
  const text = value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readKeyFile(value, problems);
  if (text !== undefined && !/-----BEGIN PRIVATE KEY-----/.test(text)) {
    problems.push({
      variable: 'HIGHMOBILITY_PRIVATE_KEY',
      expected: 'a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or its path',
    });
    return undefined;
  }
  return text;
}

function readKeyFile(path: string, problems: Problem[]): string | undefined {
  if (!existsSync(path)) {
    problems.push({ variable: 'HIGHMOBILITY_PRIVATE_KEY', expected: 'a PEM, or the path of a readable PEM file' });
    return undefined;
  }
  return readFileSync(path, 'utf8');
}
