/** Decorates `fastify.db`, the Prisma client, and disconnects it when the app closes. */
import fp from 'fastify-plugin';
import { createPrismaClient, type Database } from '../../db/prisma-client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** Whether the database is the embedded PGlite (one process, one connection). */
    databaseInfo: { embedded: boolean };
  }
}

export default fp<{ connectionString: string; maxPoolSize: number | undefined; embedded: boolean }>(
  async (app, options) => {
    const db = createPrismaClient(options);
    await db.$connect();
    app.decorate('db', db);
    app.decorate('databaseInfo', { embedded: options.embedded });
    app.addHook('onClose', async () => db.$disconnect());
  },
  { name: 'prisma' },
);
