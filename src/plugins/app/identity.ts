/**
 * Decorates `fastify.identity` when an OpenID Connect identity provider is configured (`OIDC_ISSUER`): its client,
 * the logout-token verifier, and the sign-in records; null otherwise.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createLogoutTokenVerifier } from '../../identity/logout-token.ts';
import { createOidcClient } from '../../identity/oidc-client.ts';
import { createSeenJtis } from '../../identity/seen-jtis.ts';
import { createOidcSessionRepository } from '../../repositories/oidc-sessions.ts';
import { createUserKeyRepository } from '../../repositories/user-keys.ts';

function createIdentity(app: FastifyInstance) {
  const settings = app.config.oidc;
  if (!settings) return null;
  const client = createOidcClient(settings, app.config.upstreamTimeoutMs);
  const jtis = createSeenJtis(app.redis ?? undefined);
  return {
    client,
    verifyLogoutToken: createLogoutTokenVerifier({
      configuration: client.configuration,
      clientId: settings.clientId,
      seen: jtis.seen,
    }),
    /** Remembers an accepted logout token's `jti` (5 minutes: past its 2-minute age limit and leeway). */
    rememberLogoutToken: (jti: string) => jtis.remember(jti, 300),
    sessions: createOidcSessionRepository(
      app.db,
      app.dataKeys,
      createUserKeyRepository(app.db, app.dataKeys, app.vault.currentKeyId),
    ),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    identity: ReturnType<typeof createIdentity>;
  }
}

export default fp(
  async (app) => {
    app.decorate('identity', createIdentity(app));
  },
  { name: 'identity', dependencies: ['config', 'prisma', 'redis', 'vault'] },
);
