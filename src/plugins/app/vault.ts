/**
 * Decorates `fastify.vault`, the token vault over TOKEN_ENCRYPTION_KEYS (secrets of no user, and the wrapping of
 * data keys), and `fastify.dataKeys`, the users' data keys wrapped under it (every secret of a user).
 */
import fp from 'fastify-plugin';
import { createDataKeys, type DataKeys } from '../../vault/data-keys.ts';
import { createTokenVault, type TokenVault } from '../../vault/token-vault.ts';

declare module 'fastify' {
  interface FastifyInstance {
    vault: TokenVault;
    dataKeys: DataKeys;
  }
}

export default fp(
  async (app) => {
    const vault = createTokenVault(app.config.keyRing);
    app.decorate('vault', vault);
    app.decorate('dataKeys', createDataKeys(vault));
  },
  { name: 'vault', dependencies: ['config'] },
);
