/**
 * `DELETE /api/account` with two instances serving the person: both refuse the session at once; every connection
 * is disconnected at the provider; nothing of the person is left in the database, only the erasure's record
 * (pseudonym, time, who asked, outcomes), and the ledger outside the database holds the same.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pseudonymOf } from '../../src/erasure/pseudonym.ts';
import { Browser } from '../helpers/browser.ts';
import { connectedKeyfob, sandboxCalls } from '../helpers/connected.ts';
import { HM_CARS } from '../helpers/highmobility.ts';
import { cluster } from '../helpers/keyfob-cluster.ts';

const USER_TABLES = ['users', 'identities', 'grants', 'vehicles', 'user_data_keys', 'oidc_sessions', 'machine_access'];

test('erasure with two instances: both refuse the session at once, connections disconnected, nothing personal left', async (t) => {
  if (!process.env.REDIS_URL || !process.env.DATABASE_URL) {
    t.skip('needs DATABASE_URL and REDIS_URL: two Keyfob processes share one database and one session store');
    return;
  }
  const c = await cluster(t, 2);
  const [onA, onB] = c.browsers as [(typeof c.browsers)[0], (typeof c.browsers)[0]];
  const session = await onB.request('GET', '/auth/session');
  const userId = session.json.user.id as string;
  const vehicleCount = session.json.vehicles.length as number;
  assert.ok(vehicleCount >= 2);
  assert.equal((await onB.request('GET', `/api/vehicles/${c.tesla}/odometer`)).status, 200, 'B serves the person');
  const disconnectsBefore = c.sandbox.state.calls.get('api.DELETE /application');

  const erased = await onA.request('DELETE', '/api/account');
  assert.equal(erased.status, 200, erased.text);
  assert.equal(erased.json.erased, true);
  assert.equal(erased.json.pseudonym, pseudonymOf(userId));
  assert.deepEqual(
    erased.json.disconnections.map((entry: { outcome: string }) => entry.outcome),
    Array(vehicleCount).fill('disconnected'),
  );
  assert.match(erased.headers.get('set-cookie') ?? '', /Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');
  assert.equal(c.sandbox.state.calls.get('api.DELETE /application') - disconnectsBefore, vehicleCount);

  // B had the session cached a moment ago: it refuses it now, with no reload and no wait.
  const refused = await onB.request('GET', `/api/vehicles/${c.tesla}/odometer`);
  assert.equal(refused.status, 401, refused.text);
  assert.equal((await onB.request('GET', '/auth/session')).json.authenticated, false);
  assert.equal((await onA.request('GET', '/api/vehicles')).status, 401);

  for (const table of USER_TABLES) {
    const column = table === 'users' ? 'id' : 'user_id';
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [userId]);
    assert.equal(rows[0].n, 0, `nothing of the person in ${table}`);
  }
  for (const table of ['vehicle_signals', 'vehicle_signal_history', 'audit_events']) {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
    assert.equal(rows[0].n, 0, `nothing of their vehicles in ${table}`);
  }
  const { rows: records } = await c.query('SELECT * FROM erasures');
  assert.equal(records.length, 1);
  assert.equal(records[0].pseudonym, pseudonymOf(userId));
  assert.equal(records[0].requested_by, 'user');
  assert.ok(!JSON.stringify(records).includes(userId), 'the record names no user id');
  const ledger = JSON.parse(
    await readFile(join(c.env.DATA_DIR, 'erasure-ledger', `${pseudonymOf(userId)}.json`), 'utf8'),
  );
  assert.deepEqual(Object.keys(ledger).sort(), ['erasedAt', 'pseudonym', 'requestedBy']);
});

test('erasure in one instance, whatever the stores: the session ends, the cars are disconnected, the rows go', async (t) => {
  const { keyfob, browser, session } = await connectedKeyfob(t);
  // A car at High Mobility too, which addresses it by VIN and ends the consent by revoking the refresh token.
  await browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 });
  const userId = session.user.id as string;
  const before = await sandboxCalls(keyfob);
  const erased = await browser.request('DELETE', '/api/account');
  assert.equal(erased.status, 200, erased.text);
  const outcomes = erased.json.disconnections as Array<{ provider: string; outcome: string }>;
  assert.ok(outcomes.length >= 3 && outcomes.every((entry) => entry.outcome === 'disconnected'), erased.text);
  const after = await sandboxCalls(keyfob);
  assert.equal(
    (after['api.DELETE /application'] ?? 0) - (before['api.DELETE /application'] ?? 0),
    outcomes.filter((entry) => entry.provider === 'smartcar').length,
  );
  assert.equal((after['highmobility.revoke'] ?? 0) - (before['highmobility.revoke'] ?? 0), 1);
  const again = new Browser(keyfob.url);
  for (const [name, value] of browser.cookies) again.cookies.set(name, value);
  assert.equal((await again.request('GET', '/api/vehicles')).status, 401);
  assert.equal(await keyfob.app.db.user.count({ where: { id: userId } }), 0);
  assert.equal(await keyfob.app.db.userDataKey.count(), 0);
  assert.equal(await keyfob.app.db.erasure.count(), 1);
  const ledger = await readFile(join(keyfob.config.erasureLedgerDir, `${pseudonymOf(userId)}.json`), 'utf8');
  assert.equal(JSON.parse(ledger).requestedBy, 'user');
  // Erasing twice is harmless: the session is gone, so the second request is not even signed in.
  assert.equal((await browser.request('DELETE', '/api/account')).status, 401);
});
