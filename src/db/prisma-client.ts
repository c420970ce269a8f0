/**
 * The Prisma client over the `pg` driver adapter: the same code path for PGlite and a real Postgres. The pg pool
 * is ours and shared with the few statements that bypass Prisma (repositories/audit.ts says why).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Database = PrismaClient;

/** The longest a query waits for a connection (README: Operating Keyfob, sizing the pool). */
export const POOL_WAIT_MS = 5_000;

/** The connection pool under Prisma, for plain SQL where Prisma's engine costs more than it gives. */
export type SqlPool = Pick<pg.Pool, 'query'>;

export function createDatabase(options: { connectionString: string; maxPoolSize?: number | undefined }): {
  db: Database;
  pool: SqlPool;
} {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    ...(options.maxPoolSize ? { max: options.maxPoolSize } : {}),
    // Bounds both a new connection and the wait for a pooled one when all are busy: a dead or saturated database
    // fails a request with 503 database_unavailable (database-unavailable.ts) rather than hanging it.
    connectionTimeoutMillis: POOL_WAIT_MS,
  });
  // The adapter listens for the pool's errors (an idle connection dropped by the server) and ends the pool on
  // $disconnect.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return { db, pool };
}

export function createPrismaClient(options: { connectionString: string; maxPoolSize?: number | undefined }): Database {
  return createDatabase(options).db;
}
