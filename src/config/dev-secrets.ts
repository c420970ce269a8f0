/**
 * Outside production, a missing SESSION_SECRET or TOKEN_ENCRYPTION_KEYS gets a generated value persisted under
 * DATA_DIR, so that sessions and encrypted tokens survive a restart of `npm start`. The file is created with mode
 * 0600 and never printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newCarsxeSandboxKey } from './carsxe-settings.ts';
import { newSandboxCredentials } from './provider-settings.ts';

export interface DevSecrets {
  sessionSecret: string;
  tokenEncryptionKeys: string;
  /**
   * Keyfob's credentials at the sandbox, by variable name (`SMARTCAR_CLIENT_ID` ...), as each provider issues them
   * (UUIDv4s at Smartcar). A provider added later gets its own on the next start; existing ones are kept.
   */
  sandboxCredentials: Record<string, string>;
}

const FILE_NAME = 'dev-secrets.json';

function generate(): DevSecrets {
  return {
    sessionSecret: randomBytes(32).toString('base64url'),
    tokenEncryptionKeys: `dev1:${randomBytes(32).toString('base64')}`,
    sandboxCredentials: { ...newSandboxCredentials(), ...newCarsxeSandboxKey() },
  };
}

/** Reads the persisted development secrets, creating any that are missing. */
export async function loadDevSecrets(dataDir: string): Promise<{ secrets: DevSecrets; created: boolean }> {
  const path = join(dataDir, FILE_NAME);
  let stored: Partial<DevSecrets> = {};
  try {
    stored = JSON.parse(await readFile(path, 'utf8')) as Partial<DevSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fresh = generate();
  const secrets = {
    ...fresh,
    ...stored,
    sandboxCredentials: { ...fresh.sandboxCredentials, ...stored.sandboxCredentials },
  };
  const created =
    Object.keys(fresh).some((key) => !(key in stored)) ||
    Object.keys(fresh.sandboxCredentials).some((key) => !(key in (stored.sandboxCredentials ?? {})));
  if (created) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return { secrets, created };
}
