/**
 * Decorates `fastify.erasure` (erasure/erase-user.ts) and, before Keyfob serves, applies the erasure ledger: a
 * user erased before a restore brought the database back stays erased. A ledger that cannot be read stops the
 * start: serving a restored, erased user is worse than not serving.
 */
import fp from 'fastify-plugin';
import { applyErasureLedger } from '../../erasure/apply-ledger.ts';
import { createEraser, type Eraser } from '../../erasure/erase-user.ts';
import { createErasureLedger } from '../../erasure/erasure-ledger.ts';

declare module 'fastify' {
  interface FastifyInstance {
    erasure: Eraser;
  }
}

export default fp(
  async (app) => {
    const ledger = createErasureLedger(app.config.erasureLedgerDir);
    const reapplied = await applyErasureLedger(ledger, app.repos.erasures);
    if (reapplied > 0) {
      app.log.warn({ users: reapplied }, 'erased users found in the database (restored from a backup): erased again');
    }
    app.decorate('erasure', createEraser(app, ledger));
  },
  { name: 'erasure', dependencies: ['services', 'session', 'cache'] },
);
