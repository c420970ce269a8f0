/**
 * Keyfob as a Fastify plugin: every dependency and route, registered in the order they depend on each other.
 * `src/server.ts` runs it as a process; the tests build it the same way without listening.
 *
 * Where a request goes:
 *   /healthz          routes/health
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/load-config.ts';
import { installErrorHandlers } from './errors/error-handler.ts';
import vault from './plugins/app/vault.ts';
import configPlugin from './plugins/external/config.ts';
import prisma from './plugins/external/prisma.ts';
import redis from './plugins/external/redis.ts';
import session from './plugins/external/session.ts';
import healthRoutes from './routes/health/index.ts';

export interface KeyfobOptions {
  config: Config;
  database: { connectionString: string; maxPoolSize: number | undefined };
}

export default async function keyfob(app: FastifyInstance, options: KeyfobOptions) {
  installErrorHandlers(app);
  await app.register(configPlugin, { config: options.config });
  await app.register(prisma, options.database);
  await app.register(redis);
  await app.register(vault);
  await app.register(session);
  await app.register(healthRoutes);
}
