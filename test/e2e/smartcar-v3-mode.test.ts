/** SMARTCAR_API_VERSION=3: the dashboard's routes go to v3 signals with the application token and sc-user-id. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALEX_ACCOUNT, connectedKeyfob, sandboxCalls } from '../helpers/connected.ts';

test('v3 mode: reads and commands with the application token and the owner in sc-user-id', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t, { SMARTCAR_API_VERSION: '3' });
  const tesla = byMake('TESLA');
  const odometer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(odometer.status, 200, odometer.text);
  assert.equal(typeof odometer.json.distance, 'number');
  const seen = (await fetch(`${keyfob.sandbox?.url}/sandbox/last-request`).then((r) => r.json())) as {
    url: string;
    headers: Record<string, string>;
  };
  assert.match(seen.url, /^\/v3\/vehicles\/.+\/signals\/odometer-traveleddistance$/);
  assert.equal(seen.headers['sc-user-id'], ALEX_ACCOUNT);
  const appToken = (seen.headers.authorization ?? '').slice('Bearer '.length);
  const record = keyfob.sandbox?.state.tokens.authenticateApp(appToken);
  assert.equal(typeof record, 'object', 'the call carried an application token, not the user token');
  const battery = await browser.request('GET', `/api/vehicles/${tesla.id}/battery`);
  assert.equal(battery.status, 200);
  assert.ok(battery.json.percentRemaining > 0 && battery.json.percentRemaining <= 1);
  const lock = await browser.request('POST', `/api/vehicles/${tesla.id}/security`, { body: { action: 'UNLOCK' } });
  assert.equal(lock.status, 202);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/security`)).json.isLocked, false);
  await browser.request('GET', `/api/vehicles/${byMake('TOYOTA').id}/odometer`);
  assert.equal((await sandboxCalls(keyfob))['app_token.client_credentials'], 1, 'one application token for every call');
  assert.equal(
    (await browser.request('GET', `/api/vehicles/${tesla.id}/vin`)).status,
    404,
    'v3 table has no vin route',
  );
});

test('v3 mode: an application token the API refuses is replaced once', async (t) => {
  const { keyfob, byMake, browser } = await connectedKeyfob(t, { SMARTCAR_API_VERSION: '3' });
  const tesla = byMake('TESLA');
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200);
  keyfob.sandbox?.state.clock.advance(3601); // the application token's hour is over at the provider
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`)).status, 200);
  assert.equal((await sandboxCalls(keyfob))['app_token.client_credentials'], 2);
});
