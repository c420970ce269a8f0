/**
 * CarsXE behind Keyfob, against the sandbox's CarsXE: VIN data for a connected vehicle reaches the browser while
 * the VIN and the API key never do (nor the logs); the browser cannot ask by VIN; a vehicle whose VIN Keyfob does
 * not know is a clear 409; CarsXE's quota and a refused key become answers an operator understands; and the
 * people's scopes of USER_SCOPES hold on these routes like on every other.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const TESLA_VIN = '5YJ3E1EA7NF123456';

test('CarsXE data for a connected vehicle reaches the browser; its VIN and the API key never do', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { LOG_LEVEL: 'trace' });
  const key = keyfob.config.carsxe?.apiKey as string;
  assert.ok(keyfob.config.carsxe?.sandboxed, 'CarsXE runs against the sandbox');
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA');
  assert.ok(tesla.features.includes('GET /specs') && tesla.features.includes('GET /history'));
  const specs = await browser.request('GET', `/api/vehicles/${tesla.id}/specs`);
  assert.equal(specs.status, 200);
  assert.equal(specs.json.attributes.make, 'TESLA');
  assert.equal(specs.json.input, undefined, "CarsXE's echo of the key is dropped");
  const history = await browser.request('GET', `/api/vehicles/${tesla.id}/history`);
  assert.equal(history.status, 200);
  assert.equal(history.json.vin, '*************3456');
  const recalls = await browser.request('GET', `/api/vehicles/${tesla.id}/recalls`);
  assert.equal(recalls.json.data.has_recalls, true);
  const value = await browser.request('GET', `/api/vehicles/${tesla.id}/market-value?mileage=20000&state=CA`);
  assert.equal(value.status, 200);
  assert.ok(value.json.retail.base_ > 0);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/market-value?mileage=-1`)).status, 400);
  const code = await browser.request('GET', '/api/obd-codes/p0301');
  assert.deepEqual([code.status, code.json.diagnosis], [200, 'Cylinder 1 Misfire Detected']);
  assert.equal((await browser.request('GET', '/api/obd-codes/P03011')).status, 400);
  const byVin = await browser.request('GET', `/api/vin/${TESLA_VIN}/specs`);
  assert.deepEqual([byVin.status, byVin.json.error], [403, 'machines_only']);
  const seen = browser.everythingSeen();
  assert.ok(!seen.includes(TESLA_VIN), 'no full VIN reached the browser');
  assert.ok(!seen.includes(key), 'the CarsXE key never reached the browser');
  const logs = keyfob.logs.join('');
  assert.ok(!logs.includes(key), 'nor the logs');
  assert.ok(!logs.includes(TESLA_VIN), 'nor the VIN');
  assert.ok(!/carsxe\/(specs|history)\?/.test(logs), 'no upstream URL is logged');
});

test('CarsXE quota, a refused key and missing data become clear answers', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id;
  const control = (path: string, method: string, body: unknown) =>
    fetch(`${keyfob.sandbox?.url}/sandbox/carsxe/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await control('settings', 'PATCH', { monthlyQuota: 0 });
  const quota = await browser.request('GET', `/api/vehicles/${tesla}/specs`);
  assert.deepEqual([quota.status, quota.json.error], [429, 'data_service_quota_exceeded']);
  await control('settings', 'PATCH', { monthlyQuota: 100 });
  await control('block', 'POST', { blocked: true });
  const refused = await browser.request('GET', `/api/vehicles/${tesla}/history`);
  assert.deepEqual([refused.status, refused.json.error], [502, 'data_service_key_refused']);
  assert.match(refused.json.message, /CARSXE_API_KEY/);
  await control('block', 'POST', { blocked: false });
  await fetch(`${keyfob.sandbox?.url}/sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: 'carsxe.api', kind: 'error', status: 503, count: 1 }),
  });
  const down = await browser.request('GET', `/api/vehicles/${tesla}/recalls`);
  assert.deepEqual([down.status, down.json.error], [502, 'upstream_unavailable']);
  assert.match(down.json.message, /CarsXE/);
});

test('a vehicle whose VIN Keyfob does not know answers 409 vin_unknown, and sends nothing to CarsXE', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, byMake } = await connectedBrowser(keyfob, {
    account: ALEX_ACCOUNT,
    permissions: ['read_odometer', 'read_location'],
  });
  const tesla = byMake('TESLA');
  assert.equal(tesla.vin, null);
  assert.ok(!tesla.features.includes('GET /specs'));
  const answer = await browser.request('GET', `/api/vehicles/${tesla.id}/specs`);
  assert.deepEqual([answer.status, answer.json.error], [409, 'vin_unknown']);
  const usage = await (await fetch(`${keyfob.sandbox?.url}/sandbox/carsxe/usage`)).json();
  assert.deepEqual(usage, {});
});

test("USER_SCOPES limits what people may do, on top of the provider's permissions", async (t) => {
  const keyfob = await startKeyfobUnderTest(t, {
    USER_SCOPES: 'vehicle.read_list vehicle.read_spec vehicle.read_status',
  });
  const { browser, byMake, session } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  assert.deepEqual(session.scopes, ['vehicle.read_list', 'vehicle.read_spec', 'vehicle.read_status']);
  const tesla = byMake('TESLA');
  assert.ok(tesla.features.includes('GET /odometer') && tesla.features.includes('GET /specs'));
  assert.ok(!tesla.features.includes('GET /location') && !tesla.features.includes('POST /security'));
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/specs`)).status, 200);
  for (const [method, path] of [
    ['GET', '/location'],
    ['GET', '/history'],
    ['POST', '/security'],
  ] as const) {
    const answer = await browser.request(method, `/api/vehicles/${tesla.id}${path}`, {
      ...(method === 'POST' ? { body: { action: 'LOCK' } } : {}),
    });
    assert.equal(answer.status, 403, path);
    assert.equal(answer.json.error, 'insufficient_scope');
    assert.equal(answer.json.grantedBy, 'keyfob');
    assert.equal(answer.headers.get('www-authenticate'), null, 'people get JSON, not a bearer challenge');
  }
  const disconnect = await browser.request('DELETE', `/api/vehicles/${tesla.id}`);
  assert.equal(disconnect.status, 403);
});
