/**
 * Runs one of Keyfob's operator commands (`src/cli/<name>.ts`) in a process of its own, on the database (and Redis)
 * of a Keyfob under test, without blocking this process (whose sandbox the command may call).
 */
import { execFile } from 'node:child_process';
import type { KeyfobUnderTest } from './keyfob-under-test.ts';

export function runCommand(
  keyfob: KeyfobUnderTest,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `src/cli/${command}.ts`, ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'test',
          LOG_LEVEL: 'warn',
          DATA_DIR: keyfob.config.dataDir,
          DATABASE_URL: keyfob.database.databaseUrl,
          ...(keyfob.database.directUrl ? { DATABASE_DIRECT_URL: keyfob.database.directUrl } : {}),
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
