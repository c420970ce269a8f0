/** The Prisma client over the `pg` driver adapter: the same code path for PGlite and a real Postgres. */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Database = PrismaClient;

export function createPrismaClient(options: { connectionString: string; maxPoolSize?: number | undefined }): Database {
  const adapter = new PrismaPg({
    connectionString: options.connectionString,
    ...(options.maxPoolSize ? { max: options.maxPoolSize } : {}),
    // A dead database must fail a request quickly rather than hang it.
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
