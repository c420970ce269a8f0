/** Decorates `fastify.vault`, the token vault over TOKEN_ENCRYPTION_KEYS. */
import fp from 'fastify-plugin';
import { createTokenVault, type TokenVault } from '../../vault/token-vault.ts';

declare module 'fastify' {
  interface FastifyInstance {
    vault: TokenVault;
  }
}

export default fp(
  async (app) => {
    app.decorate('vault', createTokenVault(app.config.keyRing));
  },
  { name: 'vault', dependencies: ['config'] },
);
