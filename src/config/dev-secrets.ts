/**
 * Outside production, a missing SESSION_SECRET or TOKEN_ENCRYPTION_KEYS gets a generated value persisted under
 * DATA_DIR, so that sessions and encrypted tokens survive a restart of `npm start`. The file is created with mode
 * 0600 and never printed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The sandbox's clients: UUIDv4 ids and secrets as Smartcar issues them; High Mobility's app id is 24 hex digits. */
export interface SandboxClients {
  smartcar: { clientId: string; clientSecret: string };
  highmobility: { clientId: string; clientSecret: string; appId: string };
}

export interface DevSecrets {
  sessionSecret: string;
  tokenEncryptionKeys: string;
  sandboxClients: SandboxClients;
}

/** Fresh sandbox clients; production never persists them: they live as long as the process. */
export function ephemeralSandboxClients(): SandboxClients {
  return {
    smartcar: { clientId: randomUUID(), clientSecret: randomUUID() },
    highmobility: { clientId: randomUUID(), clientSecret: randomUUID(), appId: randomBytes(12).toString('hex') },
  };
}

const FILE_NAME = 'dev-secrets.json';

function generate(): DevSecrets {
  return {
    sessionSecret: randomBytes(32).toString('base64url'),
    tokenEncryptionKeys: `dev1:${randomBytes(32).toString('base64')}`,
    sandboxClients: ephemeralSandboxClients(),
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
  const secrets = { ...generate(), ...stored };
  const created = Object.keys(generate()).some((key) => !(key in stored));
  if (created) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return { secrets, created };
}
