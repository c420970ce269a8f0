/**
 * `npm run forget -- --user ID`: an operator erases a user beside a serving Keyfob. The user's connections are
 * disconnected at the provider, their rows deleted, their browser session refused by the serving instance at once;
 * the command prints the record (pseudonym, who asked, outcomes), nothing personal. Bad input is refused with the
 * usage; an unknown user is named as such.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { pseudonymOf } from '../../src/erasure/pseudonym.ts';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { runCommand } from '../helpers/run-command.ts';

const forget = (keyfob: KeyfobUnderTest, args: string[]) =>
  runCommand(keyfob, 'forget', args, {
    PUBLIC_URL: keyfob.config.publicUrl,
    REDIS_URL: process.env.REDIS_URL,
    // The sandbox the serving Keyfob started: the command disconnects the cars there.
    SANDBOX_PORT: new URL(keyfob.sandbox?.url ?? '').port,
  });

test('npm run forget erases a user beside a serving Keyfob; refuses bad input', async (t) => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    t.skip('needs DATABASE_URL and REDIS_URL: the command runs beside the serving Keyfob and ends its sessions');
    return;
  }
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, session } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const userId = session.user.id as string;

  const usage = await forget(keyfob, []);
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /usage: npm run forget -- --user ID/);
  const unknown = await forget(keyfob, ['--user', randomUUID()]);
  assert.equal(unknown.status, 3);
  assert.match(unknown.stderr, /never existed, or already erased/);

  const erased = await forget(keyfob, ['--user', userId]);
  assert.equal(erased.status, 0, erased.stderr);
  const report = JSON.parse(erased.stdout);
  assert.equal(report.pseudonym, pseudonymOf(userId));
  assert.equal(report.requestedBy, 'operator');
  assert.ok(report.disconnections.length >= 2);
  assert.ok(report.disconnections.every((entry: { outcome: string }) => entry.outcome === 'disconnected'));
  assert.ok(report.sessionsEnded >= 1);
  assert.ok(!erased.stdout.includes(userId), 'the output names no user id');
  assert.equal(await keyfob.app.db.user.count({ where: { id: userId } }), 0);
  assert.equal((await browser.request('GET', '/api/vehicles')).status, 401, 'the serving Keyfob refuses the session');
});
