/** Decorates the repositories and the access-token service, built once over the database and the vault. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createAuditRepository } from '../../repositories/audit.ts';
import { createGrantRepository } from '../../repositories/grants.ts';
import { createUserRepository } from '../../repositories/users.ts';
import { createVehicleRepository } from '../../repositories/vehicles.ts';
import { type AccessTokens, createAccessTokens } from '../../tokens/access-tokens.ts';
import { type AppTokens, createAppTokens } from '../../tokens/app-tokens.ts';

function createRepositories(app: FastifyInstance) {
  const grants = createGrantRepository(app.db, app.vault);
  return {
    users: createUserRepository(app.db),
    grants,
    vehicles: createVehicleRepository(app.db, app.vault, grants),
    audit: createAuditRepository(app.db, app.sql, app.log),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    repos: ReturnType<typeof createRepositories>;
    accessTokens: AccessTokens;
    appTokens: AppTokens;
  }
}

export default fp(
  async (app) => {
    const repos = createRepositories(app);
    app.decorate('repos', repos);
    app.addHook('onClose', async () => repos.audit.flush());
    app.decorate(
      'accessTokens',
      createAccessTokens({
        grants: repos.grants,
        provider: app.provider,
        log: app.log,
        loginUrl: '/auth/login',
        lockAcrossInstances: !app.databaseInfo.embedded,
        // Waiters queue behind a holder that may wait on the token endpoint for its whole timeout.
        lockTimeoutMs: 2 * app.config.upstreamTimeoutMs + 10_000,
        onOutcome: (outcome) => app.metrics.refreshes.inc({ outcome }),
        onGrantChanged: (grantId) => app.bus.publish({ kind: 'grant', id: grantId }),
      }),
    );
    const source = app.provider.appTokens;
    app.decorate(
      'appTokens',
      createAppTokens({
        db: app.db,
        vault: app.vault,
        fetchToken: async (request) => {
          if (!source) throw new Error('this provider has no application tokens');
          return source.fetch(request.scopes);
        },
        lockAcrossInstances: !app.databaseInfo.embedded,
        lockTimeoutMs: 2 * app.config.upstreamTimeoutMs + 10_000,
      }),
    );
  },
  { name: 'services', dependencies: ['prisma', 'vault', 'provider', 'cache', 'metrics'] },
);
