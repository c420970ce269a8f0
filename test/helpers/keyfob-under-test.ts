/**
 * Starts a whole Keyfob (its real start path: config, migrations, sandbox, app) on free loopback ports, with its
 * own database, capturing every log line so tests can search them for secrets.
 */
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { type RunningKeyfob, startKeyfob } from '../../src/runtime/start-keyfob.ts';
import { freePort } from './free-port.ts';
import { LIFTED_RATE_LIMITS } from './lifted-rate-limits.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface KeyfobUnderTest extends RunningKeyfob {
  database: TestDatabase;
  logs: string[];
}

export function logCollector() {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return { logs, stream };
}

export async function startKeyfobUnderTest(
  t: TestContext,
  env: NodeJS.ProcessEnv = {},
  database?: TestDatabase,
): Promise<KeyfobUnderTest> {
  const db = database ?? (await createTestDatabase(t));
  const { logs, stream } = logCollector();
  // A port free a moment ago can be taken before Keyfob listens (by another test file's server, or as the
  // ephemeral port of an outgoing connection): then start again on another one.
  let keyfob: RunningKeyfob | undefined;
  for (let attempt = 1; !keyfob; attempt++) {
    const port = await freePort();
    try {
      keyfob = await startKeyfob({
        env: {
          NODE_ENV: 'test',
          PORT: String(port),
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          SANDBOX_PORT: '0',
          // Webhooks on changes only: a test sends the scheduled ones itself when it wants them.
          SANDBOX_WEBHOOK_INTERVAL_SECONDS: '0',
          LOG_LEVEL: 'info',
          DATA_DIR: db.dataDir,
          ...LIFTED_RATE_LIMITS,
          ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
          ...(db.directUrl ? { DATABASE_DIRECT_URL: db.directUrl } : {}),
          ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
          ...env,
        },
        logStream: stream,
      });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 3) throw error;
    }
  }
  t.after(() => keyfob.close());
  db.closeFirst?.push(() => keyfob.close());
  return { ...keyfob, database: db, logs };
}
