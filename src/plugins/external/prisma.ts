/** Decorates `fastify.db`, the Prisma client, and disconnects it when the app closes. */
import fp from 'fastify-plugin';
import { createDatabase, type Database, type SqlPool } from '../../db/prisma-client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** The pool under `db`, for the plain SQL that bypasses Prisma. */
    sql: SqlPool;
    /** Whether the database is the embedded PGlite (one process, one connection). */
    databaseInfo: { embedded: boolean };
  }
}

export default fp<{ connectionString: string; maxPoolSize: number | undefined; embedded: boolean }>(
  async (app, options) => {
    const { db, pool } = createDatabase(options);
    await db.$connect();
    app.decorate('db', db);
    app.decorate('sql', pool);
    app.decorate('databaseInfo', { embedded: options.embedded });
    app.addHook('onClose', async () => db.$disconnect());
  },
  { name: 'prisma' },
);
