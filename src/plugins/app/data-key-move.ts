/**
 * Starts the move of user secrets from the key ring to their users' data keys (jobs/move-to-data-keys.ts) in the
 * background once Keyfob is ready: after an upgrade, existing rows move in batches while requests are served (both
 * formats decrypt meanwhile); after that, every start finds nothing to move in one query per column. Several
 * instances may run it at once. Shutdown stops it between batches.
 */
import fp from 'fastify-plugin';
import { type MoveReport, moveToDataKeys } from '../../jobs/move-to-data-keys.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The start-up move: settles when it ends (undefined if it failed; the log says why). */
    dataKeyMove: { finished: Promise<MoveReport | undefined> };
  }
}

export default fp(
  async (app) => {
    const stop = new AbortController();
    let started: (report: Promise<MoveReport | undefined>) => void = () => {};
    const finished = new Promise<MoveReport | undefined>((resolve) => {
      started = resolve;
    });
    let running: Promise<unknown> | undefined;
    app.decorate('dataKeyMove', { finished });
    app.addHook('onReady', async () => {
      running = moveToDataKeys({
        db: app.db,
        dataKeys: app.dataKeys,
        kekId: app.vault.currentKeyId,
        signal: stop.signal,
      })
        .then((report) => {
          if (report.movedTotal > 0 || report.dataKeysMade > 0 || report.remaining > 0) {
            app.log.info(report, 'user secrets moved to per-user data keys');
          }
          return report;
        })
        .catch((error: Error) => {
          app.log.error({ err: error.message }, 'moving user secrets to data keys failed');
          return undefined;
        });
      started(running as Promise<MoveReport | undefined>);
    });
    app.addHook('onClose', async () => {
      stop.abort();
      await running;
    });
  },
  { name: 'data-key-move', dependencies: ['prisma', 'vault'] },
);
