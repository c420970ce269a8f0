/**
 * CarsXE, the API-key VIN data service (`CARSXE_*`). With a key, Keyfob calls CarsXE at `CARSXE_API_URL`; without
 * one outside production, the built-in sandbox's CarsXE simulator with a generated key; without one in production,
 * CarsXE's routes answer 404 `data_service_disabled`. The key is never echoed in a config error or a log line.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';

export interface CarsxeSettings {
  apiKey: string;
  /** Without a trailing slash. */
  apiUrl: string;
  /** The built-in sandbox stands in for CarsXE (its URL is the sandbox's once started). */
  sandboxed: boolean;
}

export const CARSXE_KEY_VARIABLE = 'CARSXE_API_KEY';

/** A sandbox key shaped like CarsXE's (32 lowercase hex characters is what its dashboard shows). */
export const newCarsxeSandboxKey = () => ({ [CARSXE_KEY_VARIABLE]: randomBytes(16).toString('hex') });

export function carsxeSettings(
  env: Env,
  context: { production: boolean; sandboxKey: string | undefined },
  problems: ConfigProblem[],
): CarsxeSettings | undefined {
  try {
    const url = new URL(env.CARSXE_API_URL);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    problems.push({ variable: 'CARSXE_API_URL', expected: 'a URL starting with http:// or https://' });
  }
  const apiUrl = env.CARSXE_API_URL.replace(/\/+$/, '');
  if (env.CARSXE_API_KEY !== undefined) return { apiKey: env.CARSXE_API_KEY, apiUrl, sandboxed: false };
  if (context.production || context.sandboxKey === undefined) return undefined;
  return { apiKey: context.sandboxKey, apiUrl, sandboxed: true };
}
