import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKeepAlive } from '../../src/jobs/keepalive.ts';
import { ALEX_ACCOUNT, connectedBrowser, SAM_ACCOUNT } from '../helpers/connected.ts';
import { externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const ROBIN_ACCOUNT = 'e9a1c3e5-4f6b-4c8d-9a2e-3f5b7c9d1e93';
const DAY = 24 * 3600 * 1000;
const quiet = { info: () => undefined, warn: () => undefined };

/** Three users' grants; the first two expire within the keep-alive window, the third does not. */
async function threeGrants(t: TestContext, env: NodeJS.ProcessEnv = {}) {
  const database = await createTestDatabase(t);
  const port = await freePort();
  const { env: providerEnv, sandbox } = await externalSandbox(t, `http://127.0.0.1:${port}`);
  const first = await startKeyfobUnderTest(t, { ...providerEnv, PORT: String(port), ...env }, database);
  for (const account of [ALEX_ACCOUNT, SAM_ACCOUNT, ROBIN_ACCOUNT]) await connectedBrowser(first, { account });
  const grants = await first.app.db.grant.findMany({ orderBy: { createdAt: 'asc' } });
  assert.equal(grants.length, 3);
  const [soon, sooner, later] = grants;
  await first.app.db.grant.update({
    where: { id: soon?.id },
    data: { refreshExpiresAt: new Date(Date.now() + 2 * DAY) },
  });
  await first.app.db.grant.update({
    where: { id: sooner?.id },
    data: { refreshExpiresAt: new Date(Date.now() + DAY) },
  });
  await first.app.db.grant.update({
    where: { id: later?.id },
    data: { refreshExpiresAt: new Date(Date.now() + 50 * DAY) },
  });
  // A second instance on the same database, when there is a shared one (PGlite is one process).
  const second = database.databaseUrl
    ? await startKeyfobUnderTest(t, { ...providerEnv, PORT: String(await freePort()) }, database)
    : first;
  return { first, second, sandbox, ids: grants.map((g) => g.id) };
}

const run = (keyfob: KeyfobUnderTest, settings = {}) =>
  runKeepAlive({
    grants: keyfob.app.repos.grants,
    accessTokens: keyfob.app.accessTokens,
    settings: { batchSize: 1, ...settings },
    log: quiet,
  });

test('two instances share the work: every due grant is refreshed exactly once, the others not at all', async (t) => {
  const { first, second, sandbox, ids } = await threeGrants(t);
  const before = await first.app.db.grant.findMany({ orderBy: { createdAt: 'asc' } });
  const [a, b] = await Promise.all([run(first), run(second)]);
  assert.equal((a.outcomes.refreshed ?? 0) + (b.outcomes.refreshed ?? 0), 2);
  assert.equal(a.claimed + b.claimed, 2, 'no grant was claimed twice');
  assert.equal(sandbox.state.calls.get('token.refresh_token'), 2);
  const after = await first.app.db.grant.findMany({ orderBy: { createdAt: 'asc' } });
  for (const index of [0, 1]) {
    assert.equal(after[index]?.version, (before[index]?.version ?? 0) + 1, `grant ${ids[index]} refreshed once`);
    assert.ok((after[index]?.refreshExpiresAt?.getTime() ?? 0) > Date.now() + 59 * DAY);
  }
  assert.equal(after[2]?.version, before[2]?.version, 'a grant outside the window is left alone');
  const again = await run(first);
  assert.equal(again.claimed, 0, 'a second run finds nothing due');
});

test('a grant the provider refuses is marked reauth_required', async (t) => {
  const { first, sandbox } = await threeGrants(t);
  for (const grant of sandbox.state.tokens.grants.values()) sandbox.state.tokens.revokeGrant(grant.id);
  const report = await run(first);
  assert.equal(report.outcomes.grant_refused, 2);
  const statuses = (await first.app.db.grant.findMany({ orderBy: { createdAt: 'asc' } })).map((g) => g.status);
  assert.deepEqual(statuses, ['reauth_required', 'reauth_required', 'active']);
});

test('provider failures make the run back off and leave tokens untouched', async (t) => {
  const { first, sandbox } = await threeGrants(t);
  const tokens = () =>
    first.app.db.grant.findMany({
      orderBy: { createdAt: 'asc' },
      select: { accessTokenEnc: true, refreshTokenEnc: true, version: true, status: true, refreshExpiresAt: true },
    });
  const before = await tokens();
  sandbox.state.faults.add('token', { kind: 'error', status: 503 }, 10);
  const report = await run(first, { maxConsecutiveFailures: 2, initialBackoffMs: 10 });
  assert.equal(report.backedOff, true);
  assert.equal(report.outcomes.provider_unavailable, 2);
  assert.equal(sandbox.state.calls.get('faulted.token'), 2, 'it stopped asking a failing provider');
  assert.deepEqual(await tokens(), before);
});

test('the server runs keep-alive on a schedule and counts it in /metrics', async (t) => {
  const { first, sandbox } = await threeGrants(t, { KEEPALIVE_INTERVAL_SECONDS: '1' });
  for (let i = 0; i < 50 && sandbox.state.calls.get('token.refresh_token') < 2; i++) await sleep(100);
  assert.equal(sandbox.state.calls.get('token.refresh_token'), 2);
  await sleep(1200);
  const metrics = await (await fetch(`${first.url}/metrics`)).text();
  assert.match(metrics, /keyfob_keepalive_grants_total\{outcome="refreshed"\} 2/);
  assert.match(metrics, /keyfob_keepalive_runs_total\{result="completed"\} [1-9]/);
  assert.match(metrics, /keyfob_token_refreshes_total\{outcome="refreshed"\} 2/);
  assert.equal(sandbox.state.calls.get('token.refresh_token'), 2, 'later runs find nothing due');
});
