/** Decorates the repositories and the access-token service, built once over the database and the vault. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createAuditRepository } from '../../repositories/audit.ts';
import { createErasureRepository } from '../../repositories/erasures.ts';
import { createGrantRepository } from '../../repositories/grants.ts';
import { createMachineAccessRepository } from '../../repositories/machine-access.ts';
import { createUserKeyRepository } from '../../repositories/user-keys.ts';
import { createUserRepository } from '../../repositories/users.ts';
import { createVehicleConditionRepository } from '../../repositories/vehicle-conditions.ts';
import { createVehicleSignalRepository } from '../../repositories/vehicle-signals.ts';
import { createVehicleRepository } from '../../repositories/vehicles.ts';
import { createWebhookDeliveryRepository } from '../../repositories/webhook-deliveries.ts';
import { type AccessTokens, createAccessTokens } from '../../tokens/access-tokens.ts';
import { type AppTokens, createAppTokens } from '../../tokens/app-tokens.ts';
import { createLeaseWaits } from '../../tokens/lease-waits.ts';
import { type ConditionRecorder, createConditionRecorder } from '../../vehicle-status/record-conditions.ts';

function createRepositories(app: FastifyInstance) {
  const userKeys = createUserKeyRepository(app.db, app.dataKeys, app.vault.currentKeyId);
  const grants = createGrantRepository(app.db, app.dataKeys, userKeys);
  return {
    users: createUserRepository(app.db),
    userKeys,
    erasures: createErasureRepository(app.db),
    grants,
    vehicles: createVehicleRepository(app.db, app.dataKeys, userKeys, grants),
    machineAccess: createMachineAccessRepository(app.db),
    webhookDeliveries: createWebhookDeliveryRepository(app.db, app.vault),
    vehicleSignals: createVehicleSignalRepository(app.db, app.dataKeys),
    vehicleConditions: createVehicleConditionRepository(app.db),
    audit: createAuditRepository(app.db, app.sql, app.log, (result, events) =>
      app.metrics.auditWrites.inc({ result }, events),
    ),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    repos: ReturnType<typeof createRepositories>;
    accessTokens: AccessTokens;
    appTokens: AppTokens;
    /** Stores providers' reports about vehicles and announces the status changes (vehicle-status/). */
    conditionRecorder: ConditionRecorder;
  }
}

/**
 * How long a refresh or token-fetch lease lasts: the token endpoint's timeout (openid-client counts it in whole
 * seconds) plus a margin, so a live holder has always given up on the endpoint before its lease can expire.
 */
export const leaseMsFor = (upstreamTimeoutMs: number) => Math.ceil(upstreamTimeoutMs / 1000) * 1000 + 5_000;

export default fp(
  async (app) => {
    const repos = createRepositories(app);
    const leaseWaits = createLeaseWaits(app.bus);
    const leaseMs = leaseMsFor(app.config.upstreamTimeoutMs);
    app.decorate('repos', repos);
    app.decorate(
      'conditionRecorder',
      createConditionRecorder({
        conditions: repos.vehicleConditions,
        audit: repos.audit,
        metrics: app.metrics,
        bus: app.bus,
      }),
    );
    app.addHook('onClose', async () => {
      await repos.audit.close();
      const lost = repos.audit.pending();
      if (lost > 0) app.log.error({ events: lost }, 'audit events not written before shutdown: the database is away');
    });
    app.decorate(
      'accessTokens',
      createAccessTokens({
        grants: repos.grants,
        providerFor: app.providerFor,
        log: app.log,
        leaseMs,
        leaseWaits,
        onOutcome: (outcome) => app.metrics.refreshes.inc({ outcome }),
        onGrantChanged: (grantId) => app.bus.publish({ kind: 'grant', id: grantId }),
      }),
    );
    // Application tokens are asked for where the request says (endpoint and client): the adapter that owns them.
    const sources = [...app.providers.values()].flatMap((adapter) => (adapter.appTokens ? [adapter.appTokens] : []));
    app.decorate(
      'appTokens',
      createAppTokens({
        db: app.db,
        vault: app.vault,
        fetchToken: async (request) => {
          const source = sources.find(
            (candidate) =>
              candidate.request.tokenEndpoint === request.tokenEndpoint &&
              candidate.request.clientId === request.clientId,
          );
          if (!source) throw new Error(`no enabled provider issues application tokens at ${request.tokenEndpoint}`);
          return source.fetch(request.scopes);
        },
        leaseMs,
        leaseWaits,
      }),
    );
  },
  { name: 'services', dependencies: ['prisma', 'vault', 'providers', 'cache', 'metrics'] },
);
