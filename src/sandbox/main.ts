/**
 * `npm run sandbox`: the sandbox alone (Smartcar, High Mobility and CarsXE), for trying a client other than Keyfob against
 * it. It registers the same clients Keyfob uses in the sandbox mode, with their secrets kept in DATA_DIR.
 */
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { sandboxOptionsFrom } from './options-from-config.ts';
import { sandboxedSimulators } from './registry.ts';
import { startSandbox } from './start-sandbox.ts';

try {
  const { config } = await loadConfig(process.env);
  const sandbox = await startSandbox({ ...sandboxOptionsFrom(config), logLevel: config.logLevel });
  console.error(
    `sandbox on ${sandbox.url} for ${sandboxedSimulators(config).join(', ')}: Keyfob's clients there are in ` +
      `${config.dataDir}/dev-secrets.json`,
  );
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `sandbox failed: ${(error as Error).message}`);
  process.exit(1);
}
