/**
 * A Postgres failover with the real servers: a primary and a streaming standby (pg_basebackup), Keyfob reaching
 * the primary through an address that is moved to the standby once it is promoted (a relay here; a DNS name, a
 * virtual IP or a pooler in production). The primary crashes while a refresh is in flight (the provider answers
 * slowly, its new pair arriving during the outage) and browsers keep calling. Keyfob answers 503
 * `database_unavailable` meanwhile, `/readyz` says so, the pool reconnects to the new primary by itself, the
 * refreshed pair is stored once the database is back (the spent refresh token is never presented again: the
 * sandbox's strict reuse detection would revoke the grant), and no stored token is lost or half-written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, sandboxControl } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { needsPostgresBinaries, startPostgresPair } from '../helpers/postgres-pair.ts';
import { scratchDir } from '../helpers/server-process.ts';
import { startTcpRelay } from '../helpers/tcp-relay.ts';
import { startTraffic } from '../helpers/traffic.ts';

test('Postgres failover: the primary crashes mid-refresh; Keyfob reconnects to the promoted standby, the new pair is stored once, nothing is lost', async (t) => {
  if (needsPostgresBinaries(t)) return;
  const pair = await startPostgresPair(t);
  await pair.query(pair.primaryPort, 'CREATE DATABASE keyfob');
  const relay = await startTcpRelay(t, { host: '127.0.0.1', port: pair.primaryPort });
  const dataDir = await scratchDir(t, 'failover-data');
  const keyfob = await startKeyfobUnderTest(
    t,
    {},
    {
      databaseUrl: relay.url(pair.url(pair.primaryPort, 'keyfob')),
      directUrl: undefined,
      dataDir,
      closeFirst: [],
    },
  );
  await sandboxControl(keyfob, 'settings', { refreshReuseGraceSeconds: 0 }, 'PATCH');
  const browser = new Browser(keyfob.url);
  assert.equal((await browser.connect({ account: ALEX_ACCOUNT })).status, 302);
  const session = await browser.request('GET', '/auth/session');
  const tesla = session.json.vehicles.find((vehicle: { make: string }) => vehicle.make === 'TESLA').id as string;
  const [grant] = await keyfob.app.db.grant.findMany({ select: { id: true } });
  const grantId = grant?.id as string;
  const before = await keyfob.app.repos.grants.findTokens(grantId);

  // Calls that read the database on every request, and the readiness probe, all through the outage.
  const traffic = startTraffic([browser], '/api/vehicles', 25);
  const readiness: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      readiness.push((await fetch(`${keyfob.url}/readyz`).catch(() => ({ status: 0 }))).status);
      await sleep(100);
    }
  })();

  // A refresh whose answer comes in 3 s: the primary crashes while the provider works on it.
  await keyfob.app.db.grant.updateMany({ data: { accessExpiresAt: new Date(Date.now() - 1000) } });
  await keyfob.app.bus.publish({ kind: 'grant', id: grantId });
  await sandboxControl(keyfob, 'faults', { target: 'token', kind: 'slow_answer', delayMs: 3_000 });
  const refreshing = browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  await sleep(500);
  const crashedAt = Date.now();
  pair.crashPrimary();
  relay.retarget({ host: '127.0.0.1', port: pair.primaryPort });
  // The HA manager's detection time: the provider's answer arrives while there is no primary at all.
  await sleep(3_000);
  pair.promoteStandby();
  relay.retarget({ host: '127.0.0.1', port: pair.standbyPort });
  const promotedMs = Date.now() - crashedAt;
  const refreshed = await refreshing;
  await sleep(2_000);
  await traffic.stop();
  probing = false;
  await probe;

  const summary = traffic.summary();
  t.diagnostic(
    `postgres failover: standby promoted and the address moved ${promotedMs} ms after the crash; ` +
      `${summary.failed} of ${summary.total} calls failed (${summary.failedCodes.join(', ') || 'none'}) over ` +
      `${summary.windowMs} ms; /readyz answered ${readiness.filter((status) => status === 503).length} times 503; ` +
      `the refresh in flight answered ${refreshed.status}`,
  );
  assert.equal(refreshed.status, 200, `the refresh in flight completed: ${refreshed.text}`);
  assert.ok(
    keyfob.logs.some((line) => line.includes('refreshed tokens stored after a database outage')),
    'the new pair arrived during the outage and was stored after it',
  );
  assert.deepEqual(summary.other, []);
  assert.ok(
    summary.failedCodes.every((code) => code.startsWith('503 database_unavailable')),
    summary.failedCodes.join(),
  );
  assert.ok(readiness.includes(503), 'readiness reflected the outage');
  assert.equal(readiness.at(-1), 200, 'and the recovery');
  const tail = traffic.answers.filter((answer) => answer.at > Date.now() - 1_500);
  assert.ok(tail.length > 0 && tail.every((answer) => answer.status === 200), 'calls flow again');

  // The new pair was stored once, on the promoted server, whole; the grant is alive at the provider.
  const after = await keyfob.app.repos.grants.findTokens(grantId);
  assert.equal(after?.status, 'active');
  assert.ok(after?.accessToken && after.refreshToken, 'both tokens readable');
  assert.notEqual(after?.refreshToken, before?.refreshToken, 'the rotated pair is the one stored');
  assert.equal(after?.version, (before?.version ?? 0) + 1, 'stored once');
  assert.deepEqual(keyfob.sandbox?.state.tokens.refreshSummary(), { grantsRefreshed: 1, refreshedMoreThanOnce: 0 });
  const again = await browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  assert.equal(again.status, 200, 'the spent refresh token was never presented again (strict reuse would revoke)');
  const [{ in_recovery }] = (await pair.query(pair.standbyPort, 'SELECT pg_is_in_recovery() AS in_recovery')) as [
    { in_recovery: boolean },
  ];
  assert.equal(in_recovery, false, 'Keyfob writes to the promoted standby');
});
