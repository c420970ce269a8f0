/**
 * One upstream call for identical GETs in flight at once (src/proxy/coalesce-gets.ts): several tabs of one user
 * polling the same vehicle cost the provider one call; different users, routes, queries or forwarded headers
 * never share, nor do commands, nor GETs that do not overlap in time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedBrowser, connectedKeyfob, SAM_ACCOUNT, sandboxCalls } from '../helpers/connected.ts';

const TABS = 12;

async function savedCalls(url: string, route: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics.split('\n').find((row) => row.startsWith(`keyfob_upstream_calls_saved_total{route="${route}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('identical GETs of one user in flight at once share one upstream call; each request is still answered and audited', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA').id as string;
  // The provider takes 400 ms, so every tab's request arrives while the first is on its way.
  keyfob.sandbox?.state.faults.add('api', { kind: 'slow', delayMs: 400 }, 1);
  const answers = await Promise.all(
    Array.from({ length: TABS }, () => browser.request('GET', `/api/vehicles/${tesla}/odometer`)),
  );
  assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
  assert.equal(new Set(answers.map((answer) => answer.text)).size, 1, 'every tab got the one answer');
  assert.equal((await sandboxCalls(keyfob))['api.GET /odometer'], 1);
  assert.equal(await savedCalls(keyfob.url, '/api/vehicles/:vehicleId/odometer'), TABS - 1);
  await keyfob.app.repos.audit.flush();
  assert.equal(await keyfob.app.db.auditEvent.count({ where: { action: 'proxy' } }), TABS, 'each request audited');

  // Once answered, the flight is gone: the next GET is a call of its own (nothing is cached).
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  assert.equal((await sandboxCalls(keyfob))['api.GET /odometer'], 2);
});

test('never shared across users, routes, queries, forwarded headers or commands', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const sam = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  const tesla = byMake('TESLA').id as string;
  const samCar = sam.session.vehicles[0].id as string;
  keyfob.sandbox?.state.faults.add('api', { kind: 'slow', delayMs: 400 }, 7);
  const before = (await sandboxCalls(keyfob))['api.GET /odometer'] ?? 0;
  const answers = await Promise.all([
    browser.request('GET', `/api/vehicles/${tesla}/odometer`),
    sam.browser.request('GET', `/api/vehicles/${samCar}/odometer`),
    browser.request('GET', `/api/vehicles/${tesla}/location`),
    browser.request('GET', `/api/vehicles/${tesla}/odometer?units=1`),
    browser.request('GET', `/api/vehicles/${tesla}/odometer`, { headers: { 'sc-unit-system': 'imperial' } }),
    browser.request('POST', `/api/vehicles/${tesla}/charge`, { body: { action: 'START' } }),
    browser.request('POST', `/api/vehicles/${tesla}/charge`, { body: { action: 'START' } }),
  ]);
  for (const answer of answers) assert.ok(answer.status < 400, `${answer.status} ${answer.text}`);
  const calls = await sandboxCalls(keyfob);
  assert.equal(calls['api.GET /odometer'] - before, 4, 'two users, a query and a header: four calls');
  assert.equal(calls['api.GET /location'], 1);
  assert.equal(calls['api.POST /charge'], 2, 'every command is sent');
  assert.notEqual(answers[0]?.text, answers[1]?.text, "each user got their own car's answer");
  assert.equal(await savedCalls(keyfob.url, '/api/vehicles/:vehicleId/odometer'), 0);
});
