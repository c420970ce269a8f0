import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALEX, CLIENT_ID, CLIENT_SECRET, obtainTokens, RAV4, sandboxFixture, TESLA } from './sandbox-fixture.ts';

const SAM = 'b7e3a1c9-2f4d-4a6b-8c0e-5d7f9a1b3c82';

async function appToken(sandboxUrl: string) {
  const response = await fetch(`${sandboxUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

function v3(sandboxUrl: string, token: string, userId: string) {
  return async (method: string, path: string) => {
    const response = await fetch(`${sandboxUrl}/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'sc-user-id': userId },
    });
    return { status: response.status, body: (await response.json()) as any };
  };
}

test('v3: the application token plus the owner in sc-user-id reads vehicles and signals', async (t) => {
  const sandbox = await sandboxFixture(t);
  await obtainTokens(sandbox.url, 'read_vehicle_info read_odometer read_security control_security read_battery');
  const call = v3(sandbox.url, await appToken(sandbox.url), ALEX);
  const vehicle = await call('GET', `/vehicles/${TESLA}`);
  assert.equal(vehicle.status, 200);
  assert.deepEqual(vehicle.body.data.attributes, {
    make: 'TESLA',
    model: 'Model 3',
    year: 2022,
    powertrainType: 'BEV',
    mode: 'simulated',
  });
  const odometer = await call('GET', `/vehicles/${TESLA}/signals/odometer-traveleddistance`);
  assert.equal(odometer.body.data.attributes.body.unit, 'km');
  const signals = await call('GET', `/vehicles/${TESLA}/signals`);
  assert.deepEqual(
    signals.body.data.map((s: { id: string }) => s.id).sort(),
    ['closure-islocked', 'odometer-traveleddistance', 'tractionbattery-range', 'tractionbattery-stateofcharge'],
    'only the signals the user granted',
  );
  const command = await call('POST', `/vehicles/${RAV4}/commands/unlock`);
  assert.equal(command.status, 202);
  assert.equal(sandbox.state.vehicles.get(RAV4)?.isLocked, false);
});

test('v3: another user, a missing permission, a bad token are refused with v3 error bodies', async (t) => {
  const sandbox = await sandboxFixture(t);
  await obtainTokens(sandbox.url, 'read_vehicle_info read_odometer');
  const token = await appToken(sandbox.url);
  const stranger = await v3(sandbox.url, token, SAM)('GET', `/vehicles/${TESLA}/signals/odometer-traveleddistance`);
  assert.equal(stranger.status, 403);
  assert.equal(stranger.body.errors[0].type, 'PERMISSION');
  for (const field of ['status', 'type', 'code', 'title', 'detail', 'resolution'])
    assert.ok(field in stranger.body.errors[0], field);
  const missing = await v3(sandbox.url, token, ALEX)('GET', `/vehicles/${TESLA}/signals/location-preciselocation`);
  assert.equal(missing.status, 403);
  const badToken = await v3(sandbox.url, 'not-a-token', ALEX)('GET', `/vehicles/${TESLA}`);
  assert.equal(badToken.status, 401);
  assert.equal(badToken.body.errors[0].resolution.type, 'REAUTHENTICATE');
  const userToken = (await obtainTokens(sandbox.url)).access_token;
  assert.equal(
    (await v3(sandbox.url, userToken, ALEX)('GET', `/vehicles/${TESLA}`)).status,
    401,
    'a user token is not an app token',
  );
});
