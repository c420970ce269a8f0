/**
 * Postgres and Redis taken away mid-traffic and given back, through a TCP relay each test puts between Keyfob and
 * the shared server (which keeps running for the other tests): requests fail fast with 503 and a clear body,
 * nothing is half-written, sessions fail closed, and Keyfob recovers by itself, without a restart.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, connectedBrowser, sandboxCalls } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { startTcpRelay } from '../helpers/tcp-relay.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

interface Answer {
  phase: string;
  path: string;
  status: number;
  ms: number;
  error?: string;
  retryAfter: string | null;
  authenticated?: boolean;
}

/** Requests from several workers until stopped, each answer recorded with the phase it started in. */
function traffic(browser: Browser, paths: string[], phase: { current: string }) {
  const answers: Answer[] = [];
  let running = true;
  const worker = async (offset: number) => {
    for (let i = offset; running; i++) {
      const path = paths[i % paths.length] as string;
      const started = phase.current;
      const begun = Date.now();
      try {
        const answer = await browser.request('GET', path);
        answers.push({
          phase: started === phase.current ? started : 'transition',
          path,
          status: answer.status,
          ms: Date.now() - begun,
          error: answer.json?.error,
          retryAfter: answer.headers.get('retry-after'),
          authenticated: answer.json?.authenticated,
        });
      } catch {
        answers.push({ phase: 'transition', path, status: 0, ms: Date.now() - begun, retryAfter: null });
      }
      await sleep(20);
    }
  };
  const workers = Array.from({ length: 6 }, (_, i) => worker(i));
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Waits until a signed-in call works again, lets the traffic run a second longer, then stops it. */
async function waitForRecovery(
  t: TestContext,
  browser: Browser,
  load: ReturnType<typeof traffic>,
  phase: { current: string },
) {
  await eventually(t, async () => (await browser.request('GET', '/api/vehicles')).status === 200, 'recovery');
  phase.current = 'recovered';
  await sleep(1_000);
  await load.stop();
}

/** Every answer while the dependency was away: 503 naming it, retry-after, and quickly. */
function assertFailedFast(down: Answer[], dependency: string, code: string) {
  assert.ok(down.length >= 20, `${down.length} requests while ${dependency} was away`);
  for (const answer of down) {
    assert.equal(answer.status, 503, `${answer.path} while ${dependency} is away: ${answer.status} ${answer.error}`);
    assert.equal(answer.error, code);
    assert.equal(answer.retryAfter, '5');
    assert.ok(answer.ms < 6_000, `${answer.path} failed fast (${answer.ms} ms)`);
  }
}

function relayTarget(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

async function eventually(t: TestContext, check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  t.assert.fail(`${what} did not happen within 20 s`);
}

test('Postgres stops mid-traffic: 503 fast with a clear body, no half-written refresh, recovery without restart', async (t) => {
  if (!process.env.DATABASE_URL) {
    t.skip('needs DATABASE_URL: the test cuts a TCP relay to Postgres; the embedded PGlite runs inside the process');
    return;
  }
  const database = await createTestDatabase(t);
  const relay = await startTcpRelay(t, relayTarget(database.databaseUrl as string));
  const keyfob = await startKeyfobUnderTest(
    t,
    {},
    { ...database, databaseUrl: relay.url(database.databaseUrl as string) },
  );
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id;
  const direct = new pg.Client({ connectionString: database.databaseUrl });
  direct.on('error', () => undefined);
  await direct.connect();
  t.after(() => direct.end().catch(() => undefined));

  const phase = { current: 'up' };
  const load = traffic(browser, [`/api/vehicles/${tesla}/odometer`, '/api/vehicles', '/auth/session'], phase);
  await sleep(500);
  await relay.cut();
  phase.current = 'transition';
  // While Postgres is away, the access token expires: requests now need a refresh, which needs the database first.
  // (Until the cached lookups are evicted, a request may still be served from them: that is the transition.)
  await direct.query(`UPDATE grants SET access_expires_at = now() - interval '1 second'`);
  for (const grant of (await direct.query<{ id: string }>('SELECT id FROM grants')).rows) {
    await keyfob.app.bus.publish({ kind: 'grant', id: grant.id });
  }
  await sleep(100);
  phase.current = 'down';
  const refreshesBefore = (await sandboxCalls(keyfob))['token.refresh_token'] ?? 0;
  const grantsBefore = (await direct.query('SELECT row_to_json(g)::text AS row FROM grants g ORDER BY id')).rows;
  await sleep(2_000);
  const readyWhileDown = await fetch(`${keyfob.url}/readyz`);
  phase.current = 'transition';
  const grantsDuring = (await direct.query('SELECT row_to_json(g)::text AS row FROM grants g ORDER BY id')).rows;
  const refreshesDuring = (await sandboxCalls(keyfob))['token.refresh_token'] ?? 0;
  await relay.restore();
  await waitForRecovery(t, browser, load, phase);
  const down = load.answers.filter((answer) => answer.phase === 'down');
  assertFailedFast(down, 'Postgres', 'database_unavailable');
  assert.equal(readyWhileDown.status, 503);
  assert.equal(((await readyWhileDown.json()) as { checks: { database: string } }).checks.database, 'unavailable');
  assert.equal(refreshesDuring, refreshesBefore, 'no refresh reached the provider without a database to store it');
  assert.deepEqual(grantsDuring, grantsBefore, 'nothing was written');
  const recovered = load.answers.filter((answer) => answer.phase === 'recovered');
  assert.ok(recovered.length > 0 && recovered.every((answer) => answer.status === 200), 'all well once it is back');
  assert.equal(load.answers.filter((answer) => answer.status >= 500 && answer.status !== 503).length, 0, 'never a 500');
  assert.equal((await sandboxCalls(keyfob))['token.refresh_token'], refreshesBefore + 1, 'then exactly one refresh');
  assert.equal((await fetch(`${keyfob.url}/readyz`)).status, 200);
  // Every proxied call left its audit event, those answered while Postgres was away included: the failed batches
  // were kept and written once it was back.
  await keyfob.app.repos.audit.flush();
  const proxied = load.answers.filter((answer) => answer.path.endsWith('/odometer')).length;
  const { rows } = await direct.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'proxy'`);
  assert.equal(rows[0].n, proxied, 'no audit event lost to the outage');
  const metrics = await (await fetch(`${keyfob.url}/metrics`)).text();
  assert.match(metrics, /keyfob_audit_events_total\{result="retried"\} [1-9]/, 'some were written on a retry');
  assert.doesNotMatch(metrics, /keyfob_audit_events_total\{result="dropped"\}/);
});

test('Redis stops mid-traffic: sessions fail closed with 503, nobody is signed in or out by it, recovery without restart', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('needs REDIS_URL: the test cuts a TCP relay to Redis; in-memory sessions have no Redis to lose');
    return;
  }
  const relay = await startTcpRelay(t, relayTarget(process.env.REDIS_URL));
  const keyfob = await startKeyfobUnderTest(t, { REDIS_URL: relay.url(process.env.REDIS_URL) });
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id;
  const cookiesBefore = new Map(browser.cookies);

  const phase = { current: 'up' };
  const load = traffic(browser, [`/api/vehicles/${tesla}/odometer`, '/api/vehicles', '/auth/session'], phase);
  await sleep(500);
  await relay.cut();
  phase.current = 'transition';
  await sleep(300); // the moment the connections notice they are gone
  phase.current = 'down';
  await sleep(2_000);
  const readyWhileDown = await fetch(`${keyfob.url}/readyz`);
  const loginWhileDown = await fetch(`${keyfob.url}/auth/login?provider=smartcar`, { redirect: 'manual' });
  phase.current = 'transition';
  await relay.restore();
  await waitForRecovery(t, browser, load, phase);
  const down = load.answers.filter((answer) => answer.phase === 'down');
  assertFailedFast(down, 'Redis', 'session_store_unavailable');
  assert.ok(
    load.answers.every((answer) => answer.authenticated !== false),
    'no answer ever said "signed out" for a signed-in browser',
  );
  assert.equal(loginWhileDown.status, 503, 'a sign-in cannot start without a store for its state');
  assert.equal(readyWhileDown.status, 503);
  assert.equal(((await readyWhileDown.json()) as { checks: { redis: string } }).checks.redis, 'unavailable');
  const recovered = load.answers.filter((answer) => answer.phase === 'recovered');
  assert.ok(recovered.length > 0 && recovered.every((answer) => answer.status === 200), 'all well once it is back');
  assert.deepEqual(browser.cookies, cookiesBefore, 'the same session throughout: no new cookie was handed out');
  assert.equal(load.answers.filter((answer) => answer.status >= 500 && answer.status !== 503).length, 0, 'never a 500');
  assert.equal((await fetch(`${keyfob.url}/readyz`)).status, 200);
});
