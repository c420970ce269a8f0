/**
 * A private key setting (High Mobility's fleet assertion key, the identity provider's `private_key_jwt` key): PEM
 * text in the variable (with `\n` escapes allowed, as .env files write them), or the path of a PEM file. Only
 * PKCS#8 is taken. The key is kept in memory only, and never echoed in a config error.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.ts';

export function readPrivateKeyPem(value: unknown, variable: string, problems: ConfigProblem[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : undefined;
  if (text === undefined) {
    if (!existsSync(value)) {
      problems.push({ variable, expected: 'a PEM, or the path of a readable PEM file' });
      return undefined;
    }
    text = readFileSync(value, 'utf8');
  }
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
    problems.push({ variable, expected: 'a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), or its path' });
    return undefined;
  }
  return text;
}
