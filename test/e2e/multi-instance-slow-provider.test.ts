/**
 * A slow-provider incident across two Keyfob processes with the keep-alive job scheduled on both, strict reuse
 * detection at the provider (a refresh token presented twice revokes the grant). Twenty people's grants come due
 * at once; half of them are asked for by their browsers on both instances, all of them by the keep-alive job,
 * and the token endpoint takes 8 s. Requests, instances and the job take the same leases: each grant is refreshed
 * once, no refresh token is used twice, the newest pair is stored, and requests that need no provider keep
 * answering on both instances while the refreshes wait (checked as an order of events, not a timing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from '../helpers/browser.ts';
import { cluster, needsServers, storedIsNewest } from '../helpers/keyfob-cluster.ts';

const DRIVERS = 20;
const ASKED_BY_BROWSERS = 10;
const TOKEN_ENDPOINT_MS = 8_000;

test('two instances and the keep-alive job in a slow-provider incident: one refresh per grant, nothing else waits', async (t) => {
  if (needsServers(t)) return;
  const c = await cluster(t, 2, 0, { KEEPALIVE_INTERVAL_SECONDS: '1', KEEPALIVE_WINDOW_SECONDS: '86400' });
  const made = await fetch(`${c.sandbox.url}/sandbox/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: DRIVERS }),
  });
  const { accounts } = (await made.json()) as { accounts: Array<{ id: string }> };
  const drivers = [];
  for (const [index, { id }] of accounts.entries()) {
    // Each driver signs in through one instance; a second browser on the other instance shares the session.
    const home = new Browser(c.processes[index % 2]?.url ?? '');
    assert.equal((await home.connect({ account: id })).status, 302);
    const away = new Browser(c.processes[(index + 1) % 2]?.url ?? '');
    for (const [name, value] of home.cookies) away.cookies.set(name, value);
    const session = await home.request('GET', '/auth/session');
    drivers.push({ browsers: [home, away], vehicle: session.json.vehicles[0].id as string });
  }
  const [alexHere, alexThere] = c.browsers as [Browser, Browser];
  const toyota = (await alexHere.request('GET', '/auth/session')).json.vehicles.find(
    (vehicle: { make: string }) => vehicle.make === 'TOYOTA',
  ).id as string;
  assert.equal((await alexHere.request('GET', `/api/vehicles/${c.tesla}/odometer`)).status, 200);

  // The drivers' grants come due for the keep-alive job (refresh token within its window) and for requests.
  const due = await c.editGrants(
    `UPDATE grants SET refresh_expires_at = now() + interval '1 hour', access_expires_at = now() - interval '1 second'
     WHERE user_id <> (SELECT user_id FROM vehicles WHERE id = $1) RETURNING id`,
    [c.tesla],
  );
  assert.equal(due.length, DRIVERS);
  c.sandbox.state.faults.add('token', { kind: 'slow', delayMs: TOKEN_ENDPOINT_MS }, DRIVERS);
  let refreshesAnswered = 0;
  const asked = drivers.slice(0, ASKED_BY_BROWSERS).flatMap(({ browsers, vehicle }) =>
    browsers.map((browser) =>
      browser.request('GET', `/api/vehicles/${vehicle}/odometer`).finally(() => {
        refreshesAnswered += 1;
      }),
    ),
  );
  // More refreshes inside the provider than the browsers asked for: the keep-alive job is at work too.
  const reached = () => c.sandbox.state.calls.get('faulted.token');
  const waitUntil = Date.now() + TOKEN_ENDPOINT_MS / 2;
  while (reached() <= ASKED_BY_BROWSERS && Date.now() < waitUntil) await sleep(10);
  assert.ok(reached() > ASKED_BY_BROWSERS, `${reached()} refreshes reached the provider`);

  const others = await Promise.all(
    [alexHere, alexThere].flatMap((browser) => [
      browser.request('GET', '/api/vehicles'),
      browser.request('GET', '/auth/session'),
      browser.request('GET', '/readyz', { csrf: false }),
      browser.request('GET', `/api/vehicles/${c.tesla}/odometer`),
      browser.request('GET', `/api/vehicles/${toyota}/odometer`),
    ]),
  );
  assert.equal(refreshesAnswered, 0, 'all of this answered while every refresh was still waiting');
  for (const answer of others) assert.ok(answer.status < 400, `${answer.status}: ${answer.text}`);
  const { rows } = await c.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
  );
  assert.equal(rows[0].n, 0, 'no connection waits on the provider inside a transaction');

  const answers = await Promise.all(asked);
  assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
  // The job refreshes the rest, at most 8 at a time per instance: wait for it (bounded), then check every grant.
  const settleBy = Date.now() + 4 * TOKEN_ENDPOINT_MS;
  while (c.sandbox.state.calls.get('token.refresh_token') < DRIVERS && Date.now() < settleBy) await sleep(100);
  await sleep(500);
  assert.equal(c.sandbox.state.calls.get('token.refresh_token'), DRIVERS, 'one refresh per grant, all told');
  assert.deepEqual(c.sandbox.state.tokens.refreshSummary(), { grantsRefreshed: DRIVERS, refreshedMoreThanOnce: 0 });
  const stored = await c.query(`SELECT id, status FROM grants WHERE id = ANY($1::uuid[])`, [due]);
  for (const grant of stored.rows) assert.equal(grant.status, 'active');
  for (const grant of stored.rows) {
    const refreshToken = await c.refreshTokenOf(grant.id);
    assert.ok(await storedIsNewest(c.sandbox.url, c.clientSecret, refreshToken), 'the newest pair is stored');
  }
  const metrics = await Promise.all(c.processes.map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
  const keptAlive = metrics
    .flatMap((text) => [...text.matchAll(/^keyfob_keepalive_grants_total\{outcome="refreshed"\} (\d+)/gm)])
    .reduce((sum, match) => sum + Number(match[1]), 0);
  assert.ok(keptAlive >= DRIVERS - ASKED_BY_BROWSERS, `the job refreshed ${keptAlive} grants`);
});
