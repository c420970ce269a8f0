import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

test('the whole connect flow: consent, callback, session, vehicles', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const callback = await browser.connect({}, '/garage');
  assert.equal(callback.status, 302, callback.text);
  assert.equal(callback.headers.get('location'), '/garage');
  const session = await browser.request('GET', '/auth/session');
  assert.equal(session.status, 200);
  assert.equal(session.json.authenticated, true);
  assert.equal(session.json.vehicles.length, 2);
  const tesla = session.json.vehicles.find((v: { make: string }) => v.make === 'TESLA');
  assert.equal(tesla.vin, '*************3456');
  assert.equal(tesla.status, 'active');
  const odometer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(odometer.status, 200, odometer.text);
  assert.equal(typeof odometer.json.distance, 'number');
  assert.ok(odometer.headers.get('sc-data-age'));
});
