/**
 * The OpenAPI description against Keyfob's real answers: `/openapi.json` serves the routes' own description; an
 * end-to-end run through every area (signed out, connecting, data, commands, errors, the account, webhooks, probes)
 * answers only statuses and bodies the description declares. Run by `npm test` after the rest of the suite, it also
 * checks every answer the suite's browsers recorded (KEYFOB_ANSWER_LOG), so a route answering something it does
 * not declare fails here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Browser, type SeenAnswer } from '../helpers/browser.ts';
import { ALEX_ACCOUNT } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { contractChecker, type OpenApiDocument } from '../helpers/openapi-contract.ts';

function suiteAnswers(): SeenAnswer[] {
  const log = process.env.KEYFOB_ANSWER_LOG;
  if (!log || !existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SeenAnswer);
}

test('every answer of an end-to-end run is one the OpenAPI description declares', async (t) => {
  const recorded = suiteAnswers();
  const keyfob = await startKeyfobUnderTest(t);
  const served = await fetch(`${keyfob.url}/openapi.json`);
  assert.equal(served.status, 200);
  const doc = (await served.json()) as OpenApiDocument & { openapi: string };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.components?.schemas?.KeyfobError, 'the shared error body is a named component');
  const page = await fetch(`${keyfob.url}/docs/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /swagger-ui/i, 'a readable page');

  const browser = new Browser(keyfob.url);
  await browser.request('GET', '/auth/session');
  await browser.request('GET', '/api/vehicles');
  await browser.request('GET', '/auth/login?provider=nowhere', { csrf: false });
  await browser.request('GET', '/auth/callback?state=forged&code=x', { csrf: false });
  await browser.connect({ account: ALEX_ACCOUNT });
  const session = await browser.request('GET', '/auth/session');
  for (const vehicle of session.json.vehicles as Array<{ id: string; features: string[] }>) {
    for (const feature of vehicle.features) {
      const [method, path] = feature.split(' ') as [string, string];
      if (path === '/batch') continue;
      const command = path === '/security' ? { action: 'LOCK' } : { action: 'START' };
      const body = method === 'POST' ? command : undefined;
      await browser.request(method, `/api/vehicles/${vehicle.id}${path}`, body ? { body } : {});
    }
    await browser.request('GET', `/api/vehicles/${vehicle.id}/trends`);
  }
  const [first] = session.json.vehicles as Array<{ id: string }>;
  await browser.request('POST', `/api/vehicles/${first?.id}/batch`, { body: { requests: [{ path: '/odometer' }] } });
  await browser.request('POST', `/api/vehicles/${first?.id}/security`, { body: { action: 'OPEN_SESAME' } });
  await browser.request('GET', `/api/vehicles/${randomUUID()}/odometer`);
  await browser.request('GET', '/api/vehicles/not-a-uuid/odometer');
  await browser.request('GET', '/api/vehicles', { csrf: false });
  await browser.request('GET', '/api/obd-codes/P0301');
  await browser.request('GET', '/api/vin/5YJ3E1EA7KF317000/specs');
  await browser.request('GET', '/api/account/export');
  await browser.request('GET', '/api/account/export?vin=all');
  await browser.request('POST', '/webhooks/smartcar', { body: { eventId: 'forged' } });
  await browser.request('GET', '/healthz');
  await browser.request('GET', '/readyz');
  await browser.request('GET', '/metrics');
  await browser.request('GET', '/');
  await browser.request('POST', '/auth/logout');
  await browser.connect({ account: ALEX_ACCOUNT });
  await browser.request('DELETE', `/api/vehicles/${first?.id}`);
  await browser.request('DELETE', '/api/account');

  const check = contractChecker(doc);
  const own = check(browser.seen);
  assert.deepEqual(own.violations, [], 'every answer of this run is declared');
  assert.ok(own.checked >= 30, `${own.checked} answers checked`);
  const suite = check(recorded);
  assert.deepEqual(suite.violations, [], "every answer of the suite's browsers is declared");
  if (recorded.length === 0) {
    t.diagnostic('the rest of the suite was not recorded (KEYFOB_ANSWER_LOG unset): npm test checks it too');
  } else {
    t.diagnostic(`${suite.checked} answers of the suite checked (${suite.unrouted} to paths no route has)`);
  }
  const exercised = new Set([...own.exercised, ...suite.exercised]);
  const untouched = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .map((method) => `${method.toUpperCase()} ${path}`)
      .filter((key) => !exercised.has(key)),
  );
  t.diagnostic(`operations no browser answer exercised: ${untouched.join(', ') || 'none'}`);

  // The check itself fails on what it should: an undeclared status, a body off its schema.
  const base = { method: 'GET', url: `${keyfob.url}/healthz`, headers: { 'content-type': 'application/json' } };
  assert.equal(check([{ ...base, status: 418, body: '{}' }]).violations.length, 1, 'an undeclared status fails');
  assert.equal(check([{ ...base, status: 200, body: '{"state":"ok"}' }]).violations.length, 1, 'a wrong body fails');
});
