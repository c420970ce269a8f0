/**
 * `npm run sandbox`: the sandbox provider alone, for trying a client other than Keyfob against it. It registers
 * the same client Keyfob uses in the sandbox mode, with the secret kept in DATA_DIR.
 */
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { sandboxOptionsFrom } from './options-from-config.ts';
import { startSandbox } from './start-sandbox.ts';

try {
  const { config } = await loadConfig(process.env);
  const sandbox = await startSandbox({ ...sandboxOptionsFrom(config), logLevel: config.logLevel });
  console.error(
    `sandbox provider on ${sandbox.url} (client id ${config.sandbox.clientId}; secret in ${config.dataDir}/dev-secrets.json)`,
  );
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `sandbox failed: ${(error as Error).message}`);
  process.exit(1);
}
