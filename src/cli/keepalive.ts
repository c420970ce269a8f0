/**
 * `npm run keepalive`: one keep-alive run (see src/jobs/keepalive.ts), then exit. Several can run at once (cron on
 * every instance): their claims keep them from refreshing the same grant. Exit code 2 when it backed off.
 */
import { ConfigError } from '../config/config-error.ts';
import { runKeepAlive } from '../jobs/keepalive.ts';
import { startKeyfob } from '../runtime/start-keyfob.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

try {
  refuseEmbeddedWhileServing(process.env.DATABASE_URL || undefined, 'keepalive');
  const keyfob = await startKeyfob({ env: process.env, listen: false, useRunningSandbox: true });
  const { windowSeconds, batchSize } = keyfob.config.keepalive;
  const report = await runKeepAlive({
    grants: keyfob.app.repos.grants,
    accessTokens: keyfob.app.accessTokens,
    settings: { windowMs: windowSeconds * 1000, batchSize },
    log: keyfob.app.log,
  });
  console.log(
    JSON.stringify({
      claimed: report.claimed,
      outcomes: report.outcomes,
      backedOff: report.backedOff,
      ms: Math.round(report.ms),
    }),
  );
  await keyfob.close();
  process.exit(report.backedOff ? 2 : 0);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `keep-alive failed: ${(error as Error).message}`);
  process.exit(1);
}
