/**
 * The operator's endpoints: /healthz (alive), /readyz (database, Redis, provider usable) and /metrics (requests
 * and latency by route and status, upstream latency, refreshes, rate-limit hits, errors by code). None of them
 * reveals a token, a user id, a vehicle id or a VIN.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedKeyfob, expireStoredAccessTokens } from '../helpers/connected.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function sample(metrics: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = metrics
    .split('\n')
    .find((row) => row.startsWith(`${name}{`) && wanted.every((label) => row.includes(label)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('/healthz and /readyz report status without revealing anything', async (t) => {
  const { keyfob } = await connectedKeyfob(t);
  const health = await fetch(`${keyfob.url}/healthz`);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${keyfob.url}/readyz`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as { status: string; checks: Record<string, string> };
  assert.equal(body.status, 'ready');
  assert.deepEqual(body.checks, {
    database: 'ok',
    redis: process.env.REDIS_URL ? 'ok' : 'not_configured',
    provider: 'ok',
  });
  assert.ok(!UUID.test(JSON.stringify(body)));
});

test('/metrics counts requests, upstream calls, refreshes and errors by route, status and code, never by who', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  for (let i = 0; i < 3; i++) await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  await expireStoredAccessTokens(keyfob);
  await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, { csrf: false });
  await fetch(`${keyfob.url}/api/vehicles`, { headers: { 'x-csrf': '1' } });
  await browser.request('GET', '/api/vehicles/vin-instead-of-id/odometer');
  const vin = (await browser.request('GET', `/api/vehicles/${tesla.id}/vin`)).json.vin as string;
  assert.match(vin, /^[A-HJ-NPR-Z0-9]{17}$/);
  const metrics = await (await fetch(`${keyfob.url}/metrics`)).text();

  const route = '/api/vehicles/:vehicleId/odometer';
  assert.equal(
    sample(metrics, 'keyfob_http_request_duration_seconds_count', { route, method: 'GET', status: '200' }),
    4,
  );
  assert.equal(sample(metrics, 'keyfob_http_request_duration_seconds_count', { route, status: '403' }), 1);
  assert.equal(
    sample(metrics, 'keyfob_http_request_duration_seconds_count', { route: '/api/vehicles', status: '401' }),
    1,
  );
  assert.equal(
    sample(metrics, 'keyfob_upstream_request_duration_seconds_count', { route: '/odometer', status: '200' }),
    4,
  );
  assert.equal(sample(metrics, 'keyfob_token_refreshes_total', { outcome: 'refreshed' }), 1);
  assert.equal(sample(metrics, 'keyfob_errors_total', { code: 'csrf_header_missing' }), 1);
  assert.equal(sample(metrics, 'keyfob_errors_total', { code: 'unauthenticated' }), 1);
  assert.equal(sample(metrics, 'keyfob_errors_total', { code: 'bad_request' }), 1);
  assert.match(metrics, /# TYPE keyfob_rate_limited_total counter/);

  assert.ok(!UUID.test(metrics), 'no user id, vehicle id or token (all UUIDs here)');
  assert.ok(!metrics.includes(vin), 'no VIN');
  assert.ok(!metrics.includes(tesla.providerVehicleId ?? 'no-provider-id'), "no provider's vehicle id");
  assert.ok(!metrics.includes('vin-instead-of-id'), 'no URL from a request');
});
