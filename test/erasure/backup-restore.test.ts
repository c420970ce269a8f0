/**
 * An erased person stays erased when a backup from before the erasure is restored: the database is dumped with
 * the person's connection, VIN and webhook history in it, the person is erased, the dump is restored (the person
 * is back in the database), and Keyfob starts: before it serves, the erasure ledger erases them again. Nothing of
 * theirs is readable or served afterwards, and the erasure's record says it was re-applied.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { pseudonymOf } from '../../src/erasure/pseudonym.ts';
import { Browser } from '../helpers/browser.ts';
import { connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { deliverWebhook, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const run = promisify(execFile);

test('a backup restored after an erasure serves nothing of the erased person: the ledger erases them again at start', async (t) => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    t.skip(
      'needs DATABASE_URL (pg_dump and pg_restore work on a Postgres server) and REDIS_URL (one session across restarts)',
    );
    return;
  }
  const tools = await Promise.all(['pg_dump', 'pg_restore'].map((tool) => run(tool, ['--version']).catch(() => null)));
  if (tools.includes(null)) {
    t.skip('needs pg_dump and pg_restore (Debian: postgresql-client) to take and restore the backup');
    return;
  }
  const database = await createTestDatabase(t);
  const outside = await mkdtemp(join(tmpdir(), 'keyfob-ledger-'));
  t.after(() => rm(outside, { recursive: true, force: true }));
  const env = { ERASURE_LEDGER_DIR: join(outside, 'ledger') };
  const first = await startKeyfobUnderTest(t, env, database);
  const { browser, session } = await connectedBrowser(first);
  const userId = session.user.id as string;
  const amt = first.config.smartcar.webhookAmt as string;
  const at = Date.now() - 60_000;
  const event = vehicleStateEvent({
    signals: [{ code: 'odometer-traveleddistance', body: { value: 4242, unit: 'km' }, at }],
  });
  assert.equal(await deliverWebhook(first.url, amt, event), 200);
  for (let i = 0; i < 100 && (await first.app.db.vehicleSignalHistory.count()) === 0; i++) await sleep(50);
  assert.equal(await first.app.db.vehicleSignalHistory.count(), 1, 'a stored vehicle event');

  const dump = join(outside, 'backup.dump');
  await run('pg_dump', ['--format=custom', `--file=${dump}`, database.databaseUrl as string]);

  const erased = await browser.request('DELETE', '/api/account');
  assert.equal(erased.status, 200, erased.text);
  await first.close();

  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', `--dbname=${database.databaseUrl}`, dump]);
  const restored = new pg.Client({ connectionString: database.databaseUrl });
  restored.on('error', () => undefined);
  await restored.connect();
  t.after(() => restored.end());
  const count = async (sql: string) => (await restored.query(sql, [userId])).rows[0].n as number;
  assert.equal(await count('SELECT count(*)::int AS n FROM users WHERE id = $1'), 1, 'the restore brought them back');
  assert.equal(await count('SELECT count(*)::int AS n FROM user_data_keys WHERE user_id = $1'), 1);

  const second = await startKeyfobUnderTest(t, env, database);
  const old = new Browser(second.url);
  for (const [name, value] of browser.cookies) old.cookies.set(name, value);
  assert.equal((await old.request('GET', '/auth/session')).json.authenticated, false);
  assert.equal((await old.request('GET', '/api/vehicles')).status, 401);

  for (const sql of [
    'SELECT count(*)::int AS n FROM users WHERE id = $1',
    'SELECT count(*)::int AS n FROM user_data_keys WHERE user_id = $1',
    'SELECT count(*)::int AS n FROM identities WHERE user_id = $1',
    'SELECT count(*)::int AS n FROM grants WHERE user_id = $1',
    'SELECT count(*)::int AS n FROM vehicles WHERE user_id = $1',
    'SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1',
    'SELECT count(*)::int AS n FROM vehicle_signal_history WHERE $1::text IS NOT NULL',
    'SELECT count(*)::int AS n FROM vehicle_signals WHERE $1::text IS NOT NULL',
  ]) {
    assert.equal(await count(sql), 0, sql);
  }
  const { rows: leftovers } = await restored.query(`SELECT body_enc FROM webhook_deliveries WHERE body_enc <> ''`);
  assert.equal(leftovers.length, 0, 'processed webhook bodies were dropped before the backup was taken');
  const { rows: records } = await restored.query('SELECT * FROM erasures');
  assert.equal(records.length, 1);
  assert.equal(records[0].pseudonym, pseudonymOf(userId));
  assert.ok(records[0].reapplied_at instanceof Date, 'the record says the erasure was applied again');
  assert.ok(
    second.logs.some((line) => line.includes('erased again')),
    'the log says so',
  );
});
