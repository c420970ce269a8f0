/**
 * A slow provider must never take Keyfob down. 40 people's grants refresh at once against a token endpoint that
 * answers in 8 s (four times the pool's worth of refreshes, with the default pool of 10). While those 40
 * requests wait on the provider, everything that needs no provider answers: another user's vehicle list and
 * session, a new sign-in, /readyz, that user's cached and uncached proxied calls. None of it queues behind the
 * refreshes, no connection sits idle in a transaction, and every audit event is written.
 *
 * "Answers while the refreshes wait" is checked as an order of events (each answered before any of the 40
 * refreshing requests came back), not as a timed threshold: the 8 s endpoint makes the order mean the same as
 * "well under a second" without a timing assertion that a loaded machine could break.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from '../helpers/browser.ts';
import { connectedBrowser, SAM_ACCOUNT } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const REFRESHING = 40;
const TOKEN_ENDPOINT_MS = 8_000;

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

test('40 grants refreshing against an 8 s token endpoint: requests that need no provider keep answering', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { LOG_LEVEL: 'warn', UPSTREAM_TIMEOUT_MS: '15000' });
  const sandbox = keyfob.sandbox;
  assert.ok(sandbox);
  const made = await fetch(`${sandbox.url}/sandbox/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: REFRESHING }),
  });
  const { accounts } = (await made.json()) as { accounts: Array<{ id: string }> };
  const alex = await connectedBrowser(keyfob);
  const tesla = alex.byMake('TESLA').id as string;
  const toyota = alex.byMake('TOYOTA').id as string;
  const drivers = await inBatches(accounts, 8, async ({ id }) => {
    const browser = new Browser(keyfob.url);
    const callback = await browser.connect({ account: id });
    assert.equal(callback.status, 302);
    const session = await browser.request('GET', '/auth/session');
    return { browser, vehicle: session.json.vehicles[0].id as string };
  });
  // Alex's Tesla answered once: its lookup is cached. The Toyota never was: its lookup will miss the cache.
  assert.equal((await alex.browser.request('GET', `/api/vehicles/${tesla}/odometer`)).status, 200);

  // Every driver's access token is due; Alex's is not.
  const alexGrant = (await keyfob.app.db.vehicle.findUniqueOrThrow({ where: { id: tesla } })).grantId;
  const due = await keyfob.app.db.grant.findMany({ where: { id: { not: alexGrant } }, select: { id: true } });
  assert.equal(due.length, REFRESHING);
  await keyfob.app.db.grant.updateMany({
    where: { id: { not: alexGrant } },
    data: { accessExpiresAt: new Date(Date.now() - 1000) },
  });
  for (const grant of due) await keyfob.app.bus.publish({ kind: 'grant', id: grant.id });

  sandbox.state.faults.add('token', { kind: 'slow', delayMs: TOKEN_ENDPOINT_MS }, REFRESHING);
  const started = performance.now();
  let refreshesAnswered = 0;
  const refreshing = drivers.map(({ browser, vehicle }) =>
    browser.request('GET', `/api/vehicles/${vehicle}/odometer`).finally(() => {
      refreshesAnswered += 1;
    }),
  );
  // Wait until every one of the 40 refreshes is inside the provider (or some request gave up before reaching it).
  const reached = () => sandbox.state.calls.get('faulted.token');
  while (reached() < REFRESHING && refreshesAnswered === 0) await sleep(10);
  assert.equal(reached(), REFRESHING, `only ${reached()} refreshes reached the provider before a request answered`);

  const timed = async <T>(name: string, work: () => Promise<T>) => {
    const begun = performance.now();
    const result = await work();
    return { name, result, ms: Math.round(performance.now() - begun), refreshesAnsweredBefore: refreshesAnswered };
  };
  const sam = new Browser(keyfob.url);
  const others = await Promise.all([
    timed('vehicle list', () => alex.browser.request('GET', '/api/vehicles')),
    timed('session', () => alex.browser.request('GET', '/auth/session')),
    timed('readiness', () => new Browser(keyfob.url).request('GET', '/readyz', { csrf: false })),
    timed('cached proxied call', () => alex.browser.request('GET', `/api/vehicles/${tesla}/odometer`)),
    timed('uncached proxied call', () => alex.browser.request('GET', `/api/vehicles/${toyota}/odometer`)),
    timed('new sign-in', () => sam.connect({ account: SAM_ACCOUNT })),
  ]);
  const idleInTransaction = keyfob.database.databaseUrl
    ? (
        await keyfob.app.sql.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        )
      ).rows[0].n
    : 0;
  for (const other of others) {
    t.diagnostic(`${other.name}: ${other.result.status} in ${other.ms} ms during the incident`);
    assert.ok(other.result.status < 400, `${other.name} answered ${other.result.status}: ${other.result.text}`);
    assert.equal(other.refreshesAnsweredBefore, 0, `${other.name} answered while every refresh was still waiting`);
  }
  const signIn = others.find((other) => other.name === 'new sign-in')?.result;
  assert.equal(signIn?.headers.get('location'), '/', 'the new sign-in went back to the dashboard without an error');
  assert.equal(refreshesAnswered, 0, 'the provider still holds every refresh');
  assert.equal(idleInTransaction, 0, 'no connection waits on the provider inside a transaction');

  const answers = await Promise.all(refreshing);
  t.diagnostic(`${REFRESHING} refreshing requests answered in ${Math.round(performance.now() - started)} ms`);
  assert.deepEqual(
    [...new Set(answers.map((answer) => answer.status))],
    [200],
    JSON.stringify(answers.find((answer) => answer.status !== 200)?.json),
  );
  assert.equal(sandbox.state.calls.get('token.refresh_token'), REFRESHING, 'one refresh per grant');

  // Every proxied call left its audit event: Alex's three and the drivers' forty.
  await keyfob.app.repos.audit.flush();
  const proxied = await keyfob.app.db.auditEvent.count({ where: { action: 'proxy' } });
  assert.equal(proxied, REFRESHING + 3);
  const connected = await keyfob.app.db.auditEvent.count({ where: { action: 'connect', outcome: 'connected' } });
  assert.equal(connected, REFRESHING + 2, 'the drivers, Alex and Sam');
  assert.ok(!keyfob.logs.join('').includes('audit write failed'));
});
