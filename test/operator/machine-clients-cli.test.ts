/**
 * `npm run machine-clients`: an operator grants a machine client a user's vehicles or one vehicle, lists and
 * revokes; bad input is refused with the usage, and an unknown user or vehicle is refused by name.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { runCommand } from '../helpers/run-command.ts';

const run = (keyfob: KeyfobUnderTest, args: string[]) => runCommand(keyfob, 'machine-clients', args);

test('npm run machine-clients grants, lists and revokes; refuses bad input', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  if (!keyfob.database.databaseUrl) {
    t.skip('the embedded database belongs to the running Keyfob: this command needs DATABASE_URL');
    return;
  }
  const { session, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id;
  assert.equal((await run(keyfob, ['grant', 'fleet-job', '--user', session.user.id])).stderr.trim(), 'granted');
  assert.equal((await run(keyfob, ['grant', 'fleet-job', '--user', session.user.id])).stderr.trim(), 'already granted');
  assert.equal((await run(keyfob, ['grant', 'audit-job', '--vehicle', tesla])).status, 0);
  const listed = (await run(keyfob, ['list', '--json'])).stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    listed.map((row) => [row.clientId, row.userId, row.vehicleId]),
    [
      ['audit-job', null, tesla],
      ['fleet-job', session.user.id, null],
    ],
  );
  assert.equal((await run(keyfob, ['revoke', 'audit-job', '--vehicle', tesla])).stderr.trim(), 'revoked');
  assert.equal((await keyfob.app.repos.machineAccess.list('audit-job')).length, 0);
  const unknown = await run(keyfob, ['grant', 'fleet-job', '--user', randomUUID()]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no such user/);
  const both = await run(keyfob, ['grant', 'fleet-job', '--user', session.user.id, '--vehicle', tesla]);
  assert.match(both.stderr, /one of --user and --vehicle/);
  assert.match((await run(keyfob, ['grant', 'fleet-job', '--user', 'alex'])).stderr, /a Keyfob id/);
});
