/**
 * `GET /healthz`: the process is alive and serving (for a liveness probe: restart me if this fails).
 * `GET /readyz`: the database answers, Redis answers (when configured) and the provider is configured (for a
 * readiness probe: send me traffic only if this passes). 503 names the part that failed, nothing more: neither
 * endpoint reveals a user, vehicle, token or connection string.
 */
import type { FastifyInstance } from 'fastify';

const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = 'ok' | 'unavailable' | 'not_configured';

async function within(check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

const readinessSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: {
      type: 'object',
      properties: { database: { type: 'string' }, redis: { type: 'string' }, provider: { type: 'string' } },
    },
  },
} as const;

export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'liveness: the process serves',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'readiness: the database answers, Redis answers (when configured), every provider is configured',
        response: {
          200: { ...readinessSchema, description: 'ready' },
          503: { ...readinessSchema, description: 'not ready: the checks name what is unavailable' },
        },
      },
    },
    async (_request, reply) => {
      const redis = app.redis;
      const [database, redisResult] = await Promise.all([
        within(() => app.db.$queryRaw`SELECT 1`),
        redis ? within(() => redis.ping()) : Promise.resolve<CheckResult>('not_configured'),
      ]);
      const provider: CheckResult = [...app.providers.values()].every(
        (adapter) => adapter.clientId && adapter.endpoints.token && adapter.endpoints.authorization,
      )
        ? 'ok'
        : 'unavailable';
      const checks = { database, redis: redisResult, provider };
      const ready = database === 'ok' && redisResult !== 'unavailable' && provider === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
}
