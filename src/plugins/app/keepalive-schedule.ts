/**
 * Runs the keep-alive job every KEEPALIVE_INTERVAL_SECONDS when that is above 0. Runs never overlap in one
 * instance; across instances, the job's claims keep them from refreshing the same grant.
 */
import fp from 'fastify-plugin';
import { runKeepAlive } from '../../jobs/keepalive.ts';

export default fp(
  async (app) => {
    const { intervalSeconds, windowSeconds, batchSize } = app.config.keepalive;
    if (intervalSeconds === 0) return;
    let running: Promise<unknown> | undefined;
    const run = () => {
      if (running) return;
      running = runKeepAlive({
        grants: app.repos.grants,
        accessTokens: app.accessTokens,
        settings: { windowMs: windowSeconds * 1000, batchSize },
        log: app.log,
        onOutcome: (outcome) => app.metrics.keepalive.inc({ outcome }),
      })
        .then((report) => app.metrics.keepaliveRuns.inc({ result: report.backedOff ? 'backed_off' : 'completed' }))
        .catch((error: Error) => app.log.error({ err: error.message }, 'keep-alive run failed'))
        .finally(() => {
          running = undefined;
        });
    };
    const timer = setInterval(run, intervalSeconds * 1000);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await running;
    });
    app.log.info({ intervalSeconds, windowSeconds }, 'keep-alive scheduled');
  },
  { name: 'keepalive-schedule', dependencies: ['services'] },
);
