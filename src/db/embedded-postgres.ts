/**
 * The embedded database for `npm start` with no DATABASE_URL: PGlite persisted under DATA_DIR, exposed on a
 * loopback port speaking the Postgres wire protocol. Going through a socket rather than an in-process adapter
 * keeps one code path (pg + @prisma/adapter-pg) for embedded and production alike.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface EmbeddedPostgres {
  connectionString: string;
  /** PGlite is one Postgres backend: more than one pooled connection would interleave transactions. */
  maxPoolSize: number;
  stop(): Promise<void>;
}

/** Starts (or reopens) the embedded database in `dataDir/pglite`. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const directory = join(dataDir, 'pglite');
  await mkdir(directory, { recursive: true });
  // Loaded only here: a Keyfob on a real Postgres never pays for PGlite's memory.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(directory);
  // Two connections: the pool's one and a short-lived one for migrations at start.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
  await server.start();
  return {
    connectionString: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    maxPoolSize: 1,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
