/**
 * A database of its own for each test file: a fresh database on the Postgres of DATABASE_URL (dropped afterwards),
 * or, without DATABASE_URL, a fresh DATA_DIR for the embedded PGlite. With DATABASE_DIRECT_URL too (DATABASE_URL is
 * then PgBouncer in front of that server), the database is created and dropped straight on the server, and Keyfob
 * is given both URLs for it, as production behind PgBouncer is.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';

export interface TestDatabase {
  /** The DATABASE_URL for Keyfob, or undefined for the embedded mode. */
  databaseUrl: string | undefined;
  /** The DATABASE_DIRECT_URL for Keyfob, when the suite runs through PgBouncer. */
  directUrl: string | undefined;
  /**
   * What must stop before the database is dropped (Keyfobs using it). Test cleanups run in the order they were
   * added, so the drop, added first, would otherwise come first: through PgBouncer a Keyfob still open would then
   * wait on a server that can no longer log in, instead of failing at once as with Postgres itself.
   */
  closeFirst: Array<() => Promise<void>>;
  dataDir: string;
}

async function admin<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(
  t: TestContext | { after(fn: () => Promise<void>): void },
): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keyfob-test-'));
  const pooledUrl = process.env.DATABASE_URL;
  const serverUrl = process.env.DATABASE_DIRECT_URL || pooledUrl;
  let databaseUrl: string | undefined;
  let directUrl: string | undefined;
  const closeFirst: Array<() => Promise<void>> = [];
  if (pooledUrl && serverUrl) {
    const name = `keyfob_test_${randomBytes(6).toString('hex')}`;
    await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    const named = (base: string) => {
      const url = new URL(base);
      url.pathname = `/${name}`;
      return url.toString();
    };
    databaseUrl = named(pooledUrl);
    if (process.env.DATABASE_DIRECT_URL) directUrl = named(process.env.DATABASE_DIRECT_URL);
    t.after(async () => {
      for (const close of closeFirst) await close().catch(() => undefined);
      await admin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    });
  }
  t.after(async () => rm(dataDir, { recursive: true, force: true }));
  return { databaseUrl, directUrl, dataDir, closeFirst };
}
