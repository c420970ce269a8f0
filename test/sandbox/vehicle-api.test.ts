import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALEX, obtainTokens, RAV4, sandboxFixture, TESLA } from './sandbox-fixture.ts';

const ALL =
  'read_vehicle_info read_vin read_odometer read_location read_battery read_charge control_charge read_fuel read_engine_oil read_tires read_security control_security';

function api(sandboxUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${sandboxUrl}/v2.0${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
}

test('user and vehicles list the grant, with paging limited to 50', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url)).access_token);
  assert.deepEqual((await call('GET', '/user')).body, { id: ALEX });
  const vehicles = await call('GET', '/vehicles');
  assert.deepEqual(vehicles.body, { vehicles: [TESLA, RAV4], paging: { count: 2, offset: 0 } });
  assert.deepEqual((await call('GET', '/vehicles?limit=1&offset=1')).body.vehicles, [RAV4]);
  const tooMany = await call('GET', '/vehicles?limit=51');
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.type, 'VALIDATION');
});

test('every data endpoint answers with its body and the sc-* headers', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url, ALL)).access_token);
  const tesla = `/vehicles/${TESLA}`;
  const rav4 = `/vehicles/${RAV4}`;
  assert.deepEqual((await call('GET', tesla)).body, { id: TESLA, make: 'TESLA', model: 'Model 3', year: 2022 });
  assert.deepEqual((await call('GET', `${tesla}/vin`)).body, { vin: '5YJ3E1EA7NF123456' });
  const odometer = await call('GET', `${tesla}/odometer`);
  assert.equal(typeof odometer.body.distance, 'number');
  for (const header of ['sc-data-age', 'sc-fetched-at', 'sc-unit-system', 'sc-request-id']) {
    assert.ok(odometer.headers.get(header), header);
  }
  assert.ok(!Number.isNaN(Date.parse(odometer.headers.get('sc-data-age') ?? '')));
  assert.deepEqual(Object.keys((await call('GET', `${tesla}/location`)).body), ['latitude', 'longitude']);
  assert.deepEqual(Object.keys((await call('GET', `${tesla}/battery`)).body), ['range', 'percentRemaining']);
  assert.deepEqual(Object.keys((await call('GET', `${tesla}/charge`)).body), ['isPluggedIn', 'state']);
  assert.deepEqual(Object.keys((await call('GET', `${rav4}/fuel`)).body), [
    'range',
    'percentRemaining',
    'amountRemaining',
  ]);
  assert.deepEqual((await call('GET', `${rav4}/engine/oil`)).body, { lifeRemaining: 0.41 });
  assert.deepEqual(Object.keys((await call('GET', `${rav4}/tires/pressure`)).body), [
    'frontLeft',
    'frontRight',
    'backLeft',
    'backRight',
  ]);
  const security = await call('GET', `${rav4}/security`);
  assert.equal(security.body.isLocked, true);
  for (const part of ['doors', 'windows', 'sunroof', 'storage', 'chargingPort'])
    assert.ok(Array.isArray(security.body[part]), part);
  assert.equal((await call('GET', `${rav4}/battery`)).status, 501, 'a fuel car has no battery endpoint');
  assert.equal((await call('GET', `${tesla}/fuel`)).body.type, 'COMPATIBILITY');
});

test('imperial units convert distances and are echoed in sc-unit-system', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url)).access_token);
  const metric = await call('GET', `/vehicles/${TESLA}/odometer`);
  const imperial = await call('GET', `/vehicles/${TESLA}/odometer`, undefined, { 'sc-unit-system': 'imperial' });
  assert.equal(imperial.headers.get('sc-unit-system'), 'imperial');
  assert.ok(Math.abs(imperial.body.distance / metric.body.distance - 0.621371) < 0.01);
});

test('lock, unlock and charge commands change what the vehicle reports', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url, ALL)).access_token);
  const security = `/vehicles/${TESLA}/security`;
  assert.deepEqual((await call('POST', security, { action: 'UNLOCK' })).body.status, 'success');
  assert.equal((await call('GET', security)).body.isLocked, false);
  await call('POST', security, { action: 'LOCK' });
  assert.equal((await call('GET', security)).body.isLocked, true);
  const invalid = await call('POST', security, { action: 'OPEN' });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.type, 'VALIDATION');
  await call('POST', `/vehicles/${TESLA}/charge`, { action: 'START' });
  assert.deepEqual((await call('GET', `/vehicles/${TESLA}/charge`)).body, { isPluggedIn: true, state: 'CHARGING' });
});

test('data changes over time: the odometer grows, a charging battery fills', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url, ALL)).access_token);
  const before = (await call('GET', `/vehicles/${TESLA}/odometer`)).body.distance;
  sandbox.state.clock.advance(3600);
  const after = (await call('GET', `/vehicles/${TESLA}/odometer`)).body.distance;
  assert.ok(after > before, `${after} > ${before}`);
  await call('POST', `/vehicles/${TESLA}/charge`, { action: 'START' });
  const low = (await call('GET', `/vehicles/${TESLA}/battery`)).body.percentRemaining;
  sandbox.state.clock.advance(1800);
  const high = (await call('GET', `/vehicles/${TESLA}/battery`)).body.percentRemaining;
  assert.ok(high > low, `${high} > ${low}`);
});

test('a missing permission is 403 PERMISSION with the Smartcar error body', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url, 'read_odometer')).access_token);
  const denied = await call('GET', `/vehicles/${TESLA}/location`);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.type, 'PERMISSION');
  assert.equal(denied.body.statusCode, 403);
  assert.deepEqual(denied.body.resolution, { type: 'REAUTHENTICATE' });
  for (const field of ['code', 'description', 'docURL', 'requestId']) assert.ok(field in denied.body, field);
  assert.deepEqual((await call('GET', `/vehicles/${TESLA}/permissions`)).body.permissions, ['read_odometer']);
});

test('an unknown or missing token is 401 AUTHENTICATION', async (t) => {
  const sandbox = await sandboxFixture(t);
  const unknown = await api(sandbox.url, '00000000-0000-4000-8000-000000000000')('GET', '/user');
  assert.equal(unknown.status, 401);
  assert.equal(unknown.body.type, 'AUTHENTICATION');
  const none = await fetch(`${sandbox.url}/v2.0/vehicles`);
  assert.equal(none.status, 401);
});

test('a vehicle outside the grant and an unknown path are 404', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url)).access_token);
  assert.equal((await call('GET', '/vehicles/c4e6a8b0-2d4f-4a6c-9e0b-1d3f5a7c9e31/odometer')).status, 404);
  assert.equal((await call('GET', `/vehicles/${TESLA}/teleport`)).body.type, 'RESOURCE_NOT_FOUND');
});

test('the per-vehicle rate limit answers 429 RATE_LIMIT with retry-after', async (t) => {
  const sandbox = await sandboxFixture(t, { rateLimitPerMinute: 3 });
  const call = api(sandbox.url, (await obtainTokens(sandbox.url)).access_token);
  for (let i = 0; i < 3; i++) assert.equal((await call('GET', `/vehicles/${TESLA}/odometer`)).status, 200);
  const limited = await call('GET', `/vehicles/${TESLA}/odometer`);
  assert.equal(limited.status, 429);
  assert.equal(limited.body.type, 'RATE_LIMIT');
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
  assert.equal((await call('GET', `/vehicles/${RAV4}/odometer`)).status, 200, 'the limit is per vehicle');
  sandbox.state.clock.advance(61);
  assert.equal((await call('GET', `/vehicles/${TESLA}/odometer`)).status, 200, 'the window reopens');
});

test('batch runs each path with its own permission check', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url, 'read_odometer read_vehicle_info')).access_token);
  const batch = await call('POST', `/vehicles/${TESLA}/batch`, {
    requests: [{ path: '/odometer' }, { path: '/location' }, { path: '/nope' }],
  });
  assert.equal(batch.status, 200);
  const [odometer, location, unknown] = batch.body.responses;
  assert.equal(odometer.code, 200);
  assert.equal(typeof odometer.body.distance, 'number');
  assert.ok(odometer.headers['sc-data-age']);
  assert.equal(location.code, 403);
  assert.equal(location.body.type, 'PERMISSION');
  assert.equal(unknown.code, 404);
  assert.equal((await call('POST', `/vehicles/${TESLA}/batch`, { requests: [] })).status, 400);
});

test('disconnect removes the vehicle from the grant and leaves the others', async (t) => {
  const sandbox = await sandboxFixture(t);
  const call = api(sandbox.url, (await obtainTokens(sandbox.url)).access_token);
  assert.deepEqual((await call('DELETE', `/vehicles/${TESLA}/application`)).body, { status: 'success' });
  assert.deepEqual((await call('GET', '/vehicles')).body.vehicles, [RAV4]);
  assert.equal((await call('GET', `/vehicles/${TESLA}/odometer`)).status, 404);
  assert.equal((await call('GET', `/vehicles/${RAV4}/odometer`)).status, 200);
});
