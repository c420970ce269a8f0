/**
 * Keyfob as a Fastify plugin: every dependency and route, registered in the order they depend on each other.
 * `src/server.ts` runs it as a process; the tests build it the same way without listening.
 *
 * Where a request goes:
 *   /                      routes/dashboard   the dashboard page and its files
 *   /auth/*                routes/auth        login, callback, session, logout, back-channel logout
 *   /api/*                 routes/api         vehicles, the proxied provider API and CarsXE data, for people
 *                                             (session) and machine clients (bearer token): access/ decides which
 *   /webhooks/smartcar     routes/webhooks    Smartcar's signed events (stored, then processed by webhooks/)
 *   /healthz               routes/health
 *   /metrics               routes/metrics     Prometheus counters (no user, vehicle or token in any label)
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/load-config.ts';
import { installErrorHandlers } from './errors/error-handler.ts';
import { installRequestLog } from './logging/request-log.ts';
import cache from './plugins/app/cache.ts';
import dataKeyMove from './plugins/app/data-key-move.ts';
import erasure from './plugins/app/erasure.ts';
import identity from './plugins/app/identity.ts';
import keepaliveSchedule from './plugins/app/keepalive-schedule.ts';
import metrics from './plugins/app/metrics.ts';
import providers from './plugins/app/providers.ts';
import rateLimit from './plugins/app/rate-limits.ts';
import services from './plugins/app/services.ts';
import session from './plugins/app/session.ts';
import tracing from './plugins/app/tracing.ts';
import vault from './plugins/app/vault.ts';
import webhooks from './plugins/app/webhooks.ts';
import configPlugin from './plugins/external/config.ts';
import helmet from './plugins/external/helmet.ts';
import prisma from './plugins/external/prisma.ts';
import redis from './plugins/external/redis.ts';
import swagger from './plugins/external/swagger.ts';
import apiRoutes from './routes/api/index.ts';
import authRoutes from './routes/auth/index.ts';
import dashboardRoutes from './routes/dashboard/index.ts';
import healthRoutes from './routes/health/index.ts';
import metricsRoutes from './routes/metrics/index.ts';
import webhookRoutes from './routes/webhooks/index.ts';

export interface KeyfobOptions {
  config: Config;
  database: { connectionString: string; maxPoolSize: number | undefined; embedded: boolean };
}

export default async function keyfob(app: FastifyInstance, options: KeyfobOptions) {
  installErrorHandlers(app);
  installRequestLog(app);
  await app.register(configPlugin, { config: options.config });
  await app.register(metrics);
  await app.register(tracing);
  await app.register(prisma, options.database);
  await app.register(redis);
  await app.register(vault);
  await app.register(cache);
  await app.register(providers);
  await app.register(identity);
  await app.register(services);
  await app.register(keepaliveSchedule);
  await app.register(webhooks);
  await app.register(helmet);
  await app.register(swagger);
  await app.register(rateLimit);
  await app.register(session);
  await app.register(erasure);
  await app.register(dataKeyMove);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(dashboardRoutes);
  await app.register(authRoutes, { prefix: '/auth' });
  await app.register(apiRoutes, { prefix: '/api' });
  await app.register(webhookRoutes, { prefix: '/webhooks' });
}
