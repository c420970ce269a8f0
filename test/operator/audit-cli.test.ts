/**
 * `npm run audit`: a user's and a vehicle's audit events from the command line, read from the database Keyfob
 * wrote them to; refused arguments say what was wrong.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { connectedBrowser, connectedKeyfob, SAM_ACCOUNT } from '../helpers/connected.ts';

function audit(env: NodeJS.ProcessEnv, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/audit.ts', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('npm run audit lists a user’s or a vehicle’s events, newest first, and nobody else’s', async (t) => {
  const { keyfob, browser, byMake, session } = await connectedKeyfob(t);
  const sam = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  const tesla = byMake('TESLA').id as string;
  await browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  await browser.request('POST', `/api/vehicles/${tesla}/security`, { body: { action: 'LOCK' } });
  await sam.browser.request('GET', `/api/vehicles/${sam.byMake('FORD').id}/odometer`);
  await keyfob.app.repos.audit.flush();
  const userId = session.user.id as string;
  // The embedded database belongs to one process: stop Keyfob before the command opens it.
  const env = keyfob.database.databaseUrl
    ? { DATABASE_URL: keyfob.database.databaseUrl }
    : { DATA_DIR: keyfob.database.dataDir };
  if (!keyfob.database.databaseUrl) await keyfob.close();
  const stopped = keyfob.database.databaseUrl ? [] : ['--server-stopped'];

  const byUser = audit(env, ['--user', userId, '--json', ...stopped]);
  assert.equal(byUser.status, 0, byUser.stderr);
  const events = byUser.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(events.map((event) => `${event.action} ${event.method} ${event.endpoint}`).slice(0, 2), [
    'proxy POST /api/vehicles/:vehicleId/security',
    'proxy GET /api/vehicles/:vehicleId/odometer',
  ]);
  assert.ok(events.some((event) => event.action === 'connect' && event.outcome === 'connected'));
  assert.ok(
    events.every((event) => event.userId === userId),
    "only this user's events",
  );
  assert.ok(events.every((event) => !/token|secret/i.test(JSON.stringify(event))));

  const byVehicle = audit(env, ['--vehicle', tesla, ...stopped]);
  assert.equal(byVehicle.status, 0, byVehicle.stderr);
  assert.equal(byVehicle.stdout.trim().split('\n').length, 2, 'the table has one line per event of the vehicle');
  assert.match(byVehicle.stderr, /2 event\(s\)/);

  const bad = audit(env, ['--user', "1' OR '1'='1", ...stopped]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--user must be a user id \(a UUID\)/);
  const none = audit(env, [...stopped]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /name a user \(--user\) or a vehicle \(--vehicle\)/);
});
