/**
 * `npm run forget -- --user ID`: an operator erases a user (GDPR article 17) as `DELETE /api/account` does
 * (src/erasure/erase-user.ts): sessions ended on every instance, connections disconnected at their providers,
 * the erasure recorded in ERASURE_LEDGER_DIR, the data key destroyed and every row deleted. Prints the record
 * (pseudonym, time, each disconnection's outcome), nothing personal. With DATABASE_URL and REDIS_URL it runs
 * beside serving instances; embedded, only while Keyfob is stopped.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.ts';
import { KeyfobError } from '../errors/keyfob-error.ts';
import { startKeyfob } from '../runtime/start-keyfob.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const USAGE = 'usage: npm run forget -- --user ID [--server-stopped]';

const { values } = parseArgs({
  options: { user: { type: 'string' }, 'server-stopped': { type: 'boolean', default: false } },
  strict: false,
});
const userId = typeof values.user === 'string' ? values.user.toLowerCase() : undefined;
if (!userId || !UUID.test(userId)) {
  console.error(`forget needs --user with a Keyfob user id\n${USAGE}`);
  process.exit(1);
}
try {
  refuseEmbeddedWhileServing(process.env.DATABASE_URL || undefined, 'forget');
  const keyfob = await startKeyfob({
    env: process.env,
    listen: false,
    useRunningSandbox: true,
    logStream: process.stderr,
  });
  let code = 0;
  try {
    const report = await keyfob.app.erasure.erase(userId, 'operator');
    if (report) console.log(JSON.stringify(report, null, 2));
    else {
      console.error(`no user ${userId} (never existed, or already erased)`);
      code = 3;
    }
  } finally {
    await keyfob.close();
  }
  process.exit(code);
} catch (error) {
  console.error(
    error instanceof ConfigError || error instanceof KeyfobError
      ? error.message
      : `forget failed: ${(error as Error).message}`,
  );
  process.exit(1);
}
