/**
 * Starts everything a Keyfob process runs, in order: configuration, the database (embedded or not, migrated and
 * verified), the sandbox when a provider runs against it, then the app itself. `src/server.ts` and the end-to-end
 * tests both start Keyfob through here, so the tests exercise the real start path.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import fp from 'fastify-plugin';
import keyfob from '../app.ts';
import { type Config, loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { fastifyLoggerOptions } from '../logging/logger-options.ts';
import { sandboxOptionsFrom } from '../sandbox/options-from-config.ts';
import { SIMULATORS, sandboxedSimulators } from '../sandbox/registry.ts';
import { type RunningSandbox, startSandbox } from '../sandbox/start-sandbox.ts';
import { answerClientError, httpServerFactory } from './http-server.ts';

export interface RunningKeyfob {
  url: string;
  app: FastifyInstance;
  config: Config;
  sandbox: RunningSandbox | undefined;
  /** Stops accepting requests, drains those in flight, then closes the database, Redis and the sandbox. */
  close(): Promise<void>;
}

function once(run: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= run();
    return result;
  };
}

export async function startKeyfob(options: {
  env: NodeJS.ProcessEnv;
  logStream?: NodeJS.WritableStream;
  listen?: boolean;
  /** For one-off commands in the sandbox mode: talk to the sandbox the server runs instead of starting one. */
  useRunningSandbox?: boolean;
}): Promise<RunningKeyfob> {
  const { config, notices } = await loadConfig(options.env);
  const app = Fastify({
    logger: fastifyLoggerOptions(config.logLevel, options.logStream, config.logPretty),
    // Request ids are ours: a client-chosen id could forge or collide with another request's log lines.
    genReqId: () => randomUUID(),
    // logging/request-log.ts writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // A HEAD route made from each GET would run the proxied GET upstream for a method the route table never named.
    exposeHeadRoutes: false,
    serverFactory: httpServerFactory({
      requestTimeoutMs: config.requestTimeoutMs,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      // A socket idle between requests is the keep-alive timeout's to close, not this one's.
      idleTimeoutMs: Math.max(30_000, 2 * config.upstreamTimeoutMs + 10_000, config.keepAliveTimeoutMs + 5_000),
    }),
    clientErrorHandler: answerClientError,
    return503OnClosing: true,
    // A hop count is valid at run time (proxy-addr) though the type omits it.
    trustProxy: config.trustProxy as boolean | string[],
    pluginTimeout: 30_000,
  });
  for (const notice of notices) app.log.warn(notice);

  const database = await prepareDatabase({
    databaseUrl: config.databaseUrl,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
  });
  if (database.appliedMigrations.length > 0) {
    app.log.info({ migrations: database.appliedMigrations }, 'applied database migrations');
  }
  let sandbox: RunningSandbox | undefined;
  try {
    const sandboxed = sandboxedSimulators(config);
    if (sandboxed.length > 0 && !options.useRunningSandbox) {
      sandbox = await startSandbox({
        ...sandboxOptionsFrom(config),
        ...(options.logStream ? { logStream: options.logStream } : {}),
      });
      app.log.info({ sandbox: sandbox.url, providers: sandboxed }, 'sandbox provider started');
    }
    // Each provider the sandbox stands in for is spoken to at the sandbox's own address.
    const sandboxUrl = sandbox?.url ?? `http://127.0.0.1:${config.sandbox.port}`;
    const effective = sandboxed.reduce((current, name) => SIMULATORS[name].pointKeyfobAt(current, sandboxUrl), config);
    // fastify-plugin: Keyfob's error and not-found handlers belong to the root instance.
    await app.register(fp(keyfob), {
      config: effective,
      database: { ...database, maxPoolSize: database.maxPoolSize ?? config.databasePoolSize },
    });
    await app.ready();
    if (options.listen !== false) await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    await sandbox?.close();
    await database.stop();
    throw error;
  }
  const address = app.server.address() as AddressInfo | null;
  return {
    url: address ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}` : '',
    app,
    config,
    sandbox,
    // Idempotent: a signal handler and a test cleanup may both close the same instance.
    close: once(async () => {
      // A keep-alive connection idle now is closed by app.close(); one that becomes idle after its in-flight request
      // is answered would otherwise stay open for KEEP_ALIVE_TIMEOUT_SECONDS (75 s) and hold the shutdown.
      const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(closeIdle);
      }
      await sandbox?.close();
      await database.stop();
    }),
  };
}
