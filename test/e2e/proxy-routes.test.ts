import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { connectedBrowser, connectedKeyfob, SAM_ACCOUNT, sandboxCalls, sandboxControl } from '../helpers/connected.ts';

/** Every route of the table: path, method, body, which car answers it, its scope. */
const ROUTES = [
  { method: 'GET', path: '/attributes', car: 'ev', scope: 'read_vehicle_info', upstream: 'api.GET /' },
  { method: 'GET', path: '/vin', car: 'ev', scope: 'read_vin', upstream: 'api.GET /vin' },
  { method: 'GET', path: '/odometer', car: 'ev', scope: 'read_odometer', upstream: 'api.GET /odometer' },
  { method: 'GET', path: '/location', car: 'ev', scope: 'read_location', upstream: 'api.GET /location' },
  { method: 'GET', path: '/battery', car: 'ev', scope: 'read_battery', upstream: 'api.GET /battery' },
  { method: 'GET', path: '/charge', car: 'ev', scope: 'read_charge', upstream: 'api.GET /charge' },
  {
    method: 'POST',
    path: '/charge',
    body: { action: 'START' },
    car: 'ev',
    scope: 'control_charge',
    upstream: 'api.POST /charge',
  },
  { method: 'GET', path: '/fuel', car: 'fuel', scope: 'read_fuel', upstream: 'api.GET /fuel' },
  { method: 'GET', path: '/engine/oil', car: 'fuel', scope: 'read_engine_oil', upstream: 'api.GET /engine/oil' },
  { method: 'GET', path: '/tires/pressure', car: 'fuel', scope: 'read_tires', upstream: 'api.GET /tires/pressure' },
  { method: 'GET', path: '/security', car: 'fuel', scope: 'read_security', upstream: 'api.GET /security' },
  {
    method: 'POST',
    path: '/security',
    body: { action: 'LOCK' },
    car: 'fuel',
    scope: 'control_security',
    upstream: 'api.POST /security',
  },
] as const;

test('every route of the table answers with its scope and is refused without it, never reaching the provider', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  // Another person, who granted only the required permission (read_vehicle_info).
  const narrow = await connectedBrowser(keyfob, { account: SAM_ACCOUNT, permissions: [] });
  const cars = { ev: ['TESLA', 'FORD'], fuel: ['TOYOTA', 'BMW'] } as const;
  for (const route of ROUTES) {
    const vehicle = byMake(cars[route.car][0]);
    const ok = await browser.request(
      route.method,
      `/api/vehicles/${vehicle.id}${route.path}`,
      route.method === 'POST' ? { body: route.body } : {},
    );
    assert.equal(ok.status, 200, `${route.method} ${route.path}: ${ok.text}`);
    if (route.scope === 'read_vehicle_info') continue;
    const before = (await sandboxCalls(keyfob))[route.upstream] ?? 0;
    const narrowVehicle = narrow.byMake(cars[route.car][1]);
    const refused = await narrow.browser.request(
      route.method,
      `/api/vehicles/${narrowVehicle.id}${route.path}`,
      route.method === 'POST' ? { body: route.body } : {},
    );
    assert.equal(refused.status, 403, `${route.method} ${route.path} without ${route.scope}`);
    assert.equal(refused.json.error, 'insufficient_scope');
    assert.deepEqual(refused.json.missingScopes, [route.scope]);
    assert.equal((await sandboxCalls(keyfob))[route.upstream] ?? 0, before, `${route.path} did not reach the provider`);
  }
  const permissions = await browser.request('GET', `/api/vehicles/${byMake('TESLA').id}/permissions`);
  assert.equal(permissions.status, 200);
  assert.ok(permissions.json.permissions.includes('read_odometer'));
});

test('batch checks the scope of every sub-path', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const batch = await browser.request('POST', `/api/vehicles/${tesla.id}/batch`, {
    body: { requests: [{ path: '/odometer' }, { path: '/location' }] },
  });
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(
    batch.json.responses.map((r: { code: number }) => r.code),
    [200, 200],
  );
  const narrow = await connectedBrowser(keyfob, { account: SAM_ACCOUNT, permissions: ['read_odometer'] });
  const refused = await narrow.browser.request('POST', `/api/vehicles/${narrow.byMake('FORD').id}/batch`, {
    body: { requests: [{ path: '/odometer' }, { path: '/location' }] },
  });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.json.missingScopes, ['read_location']);
  const unknown = await browser.request('POST', `/api/vehicles/${tesla.id}/batch`, {
    body: { requests: [{ path: '/../user' }] },
  });
  assert.equal(unknown.status, 400);
});

test('checks in order: session 401, X-CSRF 403, ownership 404', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const anonymous = new Browser(keyfob.url);
  const noSession = await anonymous.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(noSession.status, 401);
  assert.equal(noSession.json.error, 'unauthenticated');
  for (const [method, path] of [
    ['GET', `/api/vehicles/${tesla.id}/odometer`],
    ['POST', `/api/vehicles/${tesla.id}/security`],
    ['GET', '/api/vehicles'],
    ['DELETE', `/api/vehicles/${tesla.id}`],
    ['POST', '/auth/logout'],
  ] as const) {
    const answer = await browser.request(method, path, {
      csrf: false,
      ...(method === 'POST' && path.includes('security') ? { body: { action: 'UNLOCK' } } : {}),
    });
    assert.equal(answer.status, 403, `${method} ${path}`);
    assert.equal(answer.json.error, 'csrf_header_missing');
  }
  const wrongValue = await browser.request('GET', '/api/vehicles', { csrf: false, headers: { 'x-csrf': '0' } });
  assert.equal(wrongValue.status, 403);
  const other = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  const stranger = await other.browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(stranger.status, 404);
  const nonexistent = await other.browser.request('GET', '/api/vehicles/00000000-0000-4000-8000-000000000000/odometer');
  assert.deepEqual(
    { status: nonexistent.status, error: nonexistent.json.error, message: nonexistent.json.message },
    { status: stranger.status, error: stranger.json.error, message: stranger.json.message },
    'another user vehicle looks exactly like one that does not exist',
  );
  assert.equal((await other.browser.request('DELETE', `/api/vehicles/${tesla.id}`)).status, 404);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200, 'the owner still can');
});

test('a path not in the table is 404 and never reaches the provider', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const before = await sandboxCalls(keyfob);
  for (const [method, path] of [
    ['GET', `/api/vehicles/${tesla.id}/teleport`],
    ['GET', `/api/vehicles/${tesla.id}/application`],
    ['DELETE', `/api/vehicles/${tesla.id}/odometer`],
    ['PUT', `/api/vehicles/${tesla.id}/security`],
    ['GET', `/api/vehicles/${tesla.id}/../../user`],
    ['GET', `/api/user`],
  ] as const) {
    const answer = await browser.request(method, path);
    assert.equal(answer.status, 404, `${method} ${path}`);
  }
  const bad = await browser.request('POST', `/api/vehicles/${tesla.id}/security`, { body: { action: 'OPEN_TRUNK' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error, 'bad_request');
  assert.deepEqual(await sandboxCalls(keyfob), before);
});

test('only allowed headers cross the proxy, both ways', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const answer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, {
    headers: {
      'sc-unit-system': 'imperial',
      'x-forwarded-host': 'evil.example',
      'x-custom': 'nope',
    },
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('sc-unit-system'), 'imperial');
  for (const header of ['sc-data-age', 'sc-fetched-at', 'sc-request-id']) assert.ok(answer.headers.get(header), header);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  const received = (await fetch(`${keyfob.sandbox?.url}/sandbox/last-request`).then((r) => r.json())) as {
    headers: Record<string, string>;
  };
  assert.equal(received.headers.cookie, undefined, 'the browser cookie never goes upstream');
  assert.equal(received.headers['x-forwarded-host'], undefined);
  assert.equal(received.headers['x-custom'], undefined);
  assert.match(received.headers.authorization ?? '', /^Bearer [0-9a-f-]{36}$/);
  assert.equal(received.headers['x-csrf'], undefined);
  // A browser's own Authorization header beside its session is never forwarded: the call is refused as ambiguous.
  const before = await sandboxCalls(keyfob);
  const both = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, {
    headers: { authorization: 'Bearer browser-token' },
  });
  assert.equal(both.status, 400);
  assert.equal(both.json.error, 'invalid_request');
  assert.deepEqual(await sandboxCalls(keyfob), before);
});

test('upstream errors keep their status and Smartcar body; 429 keeps retry-after', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  await sandboxControl(keyfob, 'settings', { rateLimitPerMinute: 1 }, 'PATCH');
  await sandboxControl(keyfob, 'reset', {});
  const tesla = byMake('TESLA');
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200);
  const limited = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.type, 'RATE_LIMIT');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  const fuel = await browser.request('GET', `/api/vehicles/${byMake('TOYOTA').id}/battery`);
  assert.equal(fuel.status, 501);
  assert.equal(fuel.json.type, 'COMPATIBILITY');
});

test('a provider that is down or slow is 502 or 504 with a JSON body', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t, { UPSTREAM_TIMEOUT_MS: '500' });
  const tesla = byMake('TESLA');
  await sandboxControl(keyfob, 'faults', { target: 'api', kind: 'drop', count: 1 });
  const dropped = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(dropped.status, 502);
  assert.equal(dropped.json.error, 'upstream_unavailable');
  await sandboxControl(keyfob, 'faults', { target: 'api', kind: 'slow', delayMs: 1500, count: 1 });
  const slow = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(slow.status, 504);
  assert.equal(slow.json.error, 'upstream_timeout');
  await sandboxControl(keyfob, 'faults', { target: 'api', kind: 'error', status: 500, count: 1 });
  const failed = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(failed.status, 500);
  assert.equal(failed.json.type, 'SERVER', 'a provider 5xx keeps its status and body');
});

// That no token reaches an audit event (or any other table) is no-leaks.test.ts's whole-database dump.
test('every proxied call writes an audit event without a token', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const unknownVehicle = '00000000-0000-4000-8000-000000000000';
  await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  await browser.request('POST', `/api/vehicles/${tesla.id}/security`, { body: { action: 'UNLOCK' } });
  await browser.request('GET', `/api/vehicles/${unknownVehicle}/odometer`);
  await keyfob.app.repos.audit.flush();
  const events = await keyfob.app.db.auditEvent.findMany({ where: { action: 'proxy' }, orderBy: { id: 'asc' } });
  assert.deepEqual(
    events.map((e) => [e.endpoint, e.method, e.status, e.vehicleId, e.outcome, e.clientId]),
    [
      ['/api/vehicles/:vehicleId/odometer', 'GET', 200, tesla.id, 'ok', 'dashboard'],
      ['/api/vehicles/:vehicleId/security', 'POST', 200, tesla.id, 'ok', 'dashboard'],
      ['/api/vehicles/:vehicleId/odometer', 'GET', 404, null, 'error', 'dashboard'],
    ],
  );
  const uuid = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;
  assert.ok(events.every((e) => e.userId && typeof e.latencyMs === 'number' && uuid.test(e.requestId ?? '')));
  assert.equal(new Set(events.map((e) => e.requestId)).size, events.length, 'each event names its own request');
});
