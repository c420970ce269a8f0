/** Decorates `fastify.db`, the Prisma client, and disconnects it when the app closes. */
import fp from 'fastify-plugin';
import { createPrismaClient, type Database } from '../../db/prisma-client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export default fp<{ connectionString: string; maxPoolSize: number | undefined }>(
  async (app, options) => {
    const db = createPrismaClient(options);
    await db.$connect();
    app.decorate('db', db);
    app.addHook('onClose', async () => db.$disconnect());
  },
  { name: 'prisma' },
);
