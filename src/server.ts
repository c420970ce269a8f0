/**
 * The Keyfob process: start, print where to go, and shut down gracefully on SIGTERM or SIGINT (in-flight
 * requests drain, new ones get 503, then the database and Redis close). Everything else is in runtime/ and app.ts.
 */
import closeWithGrace from 'close-with-grace';
import { ConfigError } from './config/config-error.ts';
import { startKeyfob } from './runtime/start-keyfob.ts';

const GRACE_MS = 15_000;

try {
  const keyfob = await startKeyfob({ env: process.env });
  keyfob.app.log.info(`Keyfob is ready: open ${keyfob.config.publicUrl}`);
  closeWithGrace({ delay: GRACE_MS }, async ({ signal, err }) => {
    if (err) keyfob.app.log.error({ err }, 'shutting down after an error');
    else keyfob.app.log.info({ signal }, 'shutting down');
    await keyfob.close();
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Keyfob failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
}
