/**
 * The CarsXE simulator's conformance to the reference, over HTTP: the key as query `key` checked first (none: 402
 * by default, the stricter UNCONFIRMED answer, or 401; unknown: 401; blocked: 403), the key echoed in `input`,
 * 400 for a missing or malformed parameter (not billed), the quota per key and API (429 with `usage`), 404 for no
 * data, `success` on every answer but market value's, fault injection. Then Keyfob's CarsXE client against it:
 * both keyless answers, the echo dropped, every error mapped.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { createCarsxeClient } from '../../src/data-services/carsxe/carsxe-client.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';

const KEY = '0123456789abcdef0123456789abcdef';
const TESLA_VIN = '5YJ3E1EA7NF123456';
const UNKNOWN_VIN = '1HGCM82633A004352';

async function carsxeSandbox(t: TestContext, monthlyQuota = 1000): Promise<RunningSandbox> {
  const sandbox = await startSandbox({
    port: 0,
    clients: [],
    simulators: { carsxe: { apiKeys: [KEY], settings: { monthlyQuota } } },
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  return sandbox;
}

async function get(sandbox: RunningSandbox, path: string, query: Record<string, string>) {
  const response = await fetch(`${sandbox.url}/carsxe${path}?${new URLSearchParams(query)}`);
  return { status: response.status, headers: response.headers, json: (await response.json()) as any };
}

const control = (sandbox: RunningSandbox, path: string, method: string, body?: unknown) =>
  fetch(`${sandbox.url}/sandbox/${path.startsWith('faults') ? '' : 'carsxe/'}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });

test('CarsXE simulator: the key is checked first, and echoed back in input as CarsXE does', async (t) => {
  const sandbox = await carsxeSandbox(t);
  const keyless = await get(sandbox, '/specs', { vin: TESLA_VIN });
  assert.equal(keyless.status, 402, 'the stricter UNCONFIRMED answer by default');
  assert.equal(keyless.json.success, false);
  await control(sandbox, 'settings', 'PATCH', { keylessStatus: 'unauthorized' });
  assert.deepEqual((await get(sandbox, '/specs', { vin: TESLA_VIN })).json, {
    success: false,
    message: 'Missing API key',
  });
  assert.equal((await get(sandbox, '/specs', { vin: TESLA_VIN, key: 'wrong' })).status, 401);
  const specs = await get(sandbox, '/specs', { vin: TESLA_VIN, key: KEY });
  assert.equal(specs.status, 200);
  assert.equal(specs.json.success, true);
  assert.deepEqual(specs.json.input, { key: KEY, vin: TESLA_VIN });
  assert.equal(specs.json.attributes.make, 'TESLA');
  const recalls = await get(sandbox, '/v1/recalls', { vin: TESLA_VIN, key: KEY });
  assert.equal(recalls.json.input.key, KEY);
  assert.equal(recalls.json.data.recall_count, recalls.json.data.recalls.length);
  const value = await get(sandbox, '/v2/marketvalue', { vin: TESLA_VIN, key: KEY, mileage: '20000' });
  assert.equal(value.status, 200);
  assert.equal(value.json.success, undefined, 'market value answers carry no success field');
  assert.equal(value.json.input.key, KEY);
  const history = await get(sandbox, '/history', { vin: TESLA_VIN, key: KEY });
  assert.equal(history.json.vin, TESLA_VIN);
  assert.equal(
    (await get(sandbox, '/obdcodesdecoder', { code: 'P0301', key: KEY })).json.diagnosis,
    'Cylinder 1 Misfire Detected',
  );
  await control(sandbox, 'block', 'POST', { blocked: true });
  assert.equal((await get(sandbox, '/specs', { vin: TESLA_VIN, key: KEY })).status, 403);
});

test('CarsXE simulator: 400 for bad parameters (not billed), 404 for no data, 429 with usage past the quota', async (t) => {
  const sandbox = await carsxeSandbox(t, 2);
  const missing = await get(sandbox, '/specs', { key: KEY });
  assert.deepEqual([missing.status, missing.json.message], [400, 'Missing vin (vehicle identification number)']);
  assert.equal((await get(sandbox, '/specs', { key: KEY, vin: 'IOQ' })).status, 400);
  assert.equal((await get(sandbox, '/obdcodesdecoder', { key: KEY })).json.message, 'Missing OBD code');
  assert.deepEqual(await (await control(sandbox, 'usage', 'GET')).json(), {}, 'no 400 was billed');
  const none = await get(sandbox, '/specs', { key: KEY, vin: UNKNOWN_VIN });
  assert.deepEqual([none.status, none.json], [404, { success: false, message: 'No data found for this VIN' }]);
  assert.equal((await get(sandbox, '/specs', { key: KEY, vin: TESLA_VIN })).status, 200);
  const over = await get(sandbox, '/specs', { key: KEY, vin: TESLA_VIN });
  assert.equal(over.status, 429);
  assert.deepEqual(over.json.usage, { current: 2, limit: 2, remaining: 0 });
  assert.equal((await get(sandbox, '/history', { key: KEY, vin: TESLA_VIN })).status, 200, 'the quota is per API');
  await control(sandbox, 'usage', 'DELETE');
  assert.equal((await get(sandbox, '/specs', { key: KEY, vin: TESLA_VIN })).status, 200, 'a new period');
  await control(sandbox, 'faults', 'POST', { target: 'carsxe.api', kind: 'error', status: 503, count: 1 });
  assert.equal((await get(sandbox, '/history', { key: KEY, vin: TESLA_VIN })).status, 503);
});

test("Keyfob's CarsXE client: the echo dropped, both keyless answers and every error mapped", async (t) => {
  const sandbox = await carsxeSandbox(t, 1);
  const client = createCarsxeClient({ apiKey: KEY, apiUrl: `${sandbox.url}/carsxe`, sandboxed: true }, 5_000);
  const specs = await client.get('/specs', { vin: TESLA_VIN });
  assert.equal(specs.data.input, undefined);
  assert.ok(!JSON.stringify(specs.data).includes(KEY));
  const value = await client.get('/v2/marketvalue', { vin: TESLA_VIN }, 'make');
  assert.equal(value.data.input, undefined);
  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: { statusCode: number; code: string }) => `${error.statusCode} ${error.code}`,
    );
  assert.equal(await codeOf(client.get('/specs', { vin: TESLA_VIN })), '429 data_service_quota_exceeded');
  assert.equal(await codeOf(client.get('/history', { vin: UNKNOWN_VIN })), '404 no_data');
  assert.equal(await codeOf(client.get('/history', { vin: 'IOQ' })), '400 bad_request');
  const keyless = createCarsxeClient({ apiKey: '', apiUrl: `${sandbox.url}/carsxe`, sandboxed: true }, 5_000);
  for (const keylessStatus of ['payment_required', 'unauthorized']) {
    await control(sandbox, 'settings', 'PATCH', { keylessStatus });
    assert.equal(
      await codeOf(keyless.get('/history', { vin: TESLA_VIN })),
      '502 data_service_key_refused',
      keylessStatus,
    );
  }
  await control(sandbox, 'block', 'POST', { blocked: true });
  assert.equal(await codeOf(client.get('/history', { vin: TESLA_VIN })), '502 data_service_key_refused');
  await control(sandbox, 'block', 'POST', { blocked: false });
  await control(sandbox, 'faults', 'POST', { target: 'carsxe.api', kind: 'error', status: 500, count: 1 });
  assert.equal(await codeOf(client.get('/obdcodesdecoder', { code: 'P0301' })), '502 upstream_unavailable');
});
