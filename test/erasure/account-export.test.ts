/**
 * `GET /api/account/export` and the fresh sign-in rule: the export holds the person's identities, connections,
 * vehicles, stored events and audit trail, never a token and never a full VIN unless asked for after a recent
 * sign-in; erasure likewise needs a recent sign-in. A session older than FRESH_SIGN_IN_SECONDS is refused both,
 * with the way to sign in again, and nothing is erased.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectedKeyfob } from '../helpers/connected.ts';
import type { KeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { deliverWebhook, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';

/** Every token Keyfob holds for the person, and every VIN: what the export must not contain. */
async function secretsOf(keyfob: KeyfobUnderTest, userId: string) {
  const vehicles = await keyfob.app.repos.vehicles.listInReach({ userId });
  const tokens: string[] = [];
  for (const grantId of new Set(vehicles.map((vehicle) => vehicle.grantId))) {
    const grant = await keyfob.app.repos.grants.findTokens(grantId);
    for (const token of [grant?.accessToken, grant?.refreshToken]) if (token) tokens.push(token);
  }
  const vins = vehicles.map((vehicle) => keyfob.app.repos.vehicles.revealVin(vehicle)).filter((vin) => vin !== null);
  return { tokens, vins };
}

/** Makes the session look as if its sign-in happened an hour ago (the session store is Redis here). */
async function ageSession(keyfob: KeyfobUnderTest, cookie: string) {
  const sessionId = decodeURIComponent(cookie).slice(0, decodeURIComponent(cookie).lastIndexOf('.'));
  const redis = keyfob.app.redis;
  if (!redis) throw new Error('needs Redis');
  const key = `keyfob:session:${sessionId}`;
  const stored = JSON.parse((await redis.get(key)) ?? 'null');
  assert.ok(stored, 'the session is in Redis');
  stored.createdAt -= 3_600_000;
  await redis.set(key, JSON.stringify(stored), 'KEEPTTL');
  await keyfob.app.bus.publish({ kind: 'session', id: sessionId });
}

test('the export holds identities, connections, vehicles, events and audit trail, and no token or full VIN', async (t) => {
  const { keyfob, browser, session } = await connectedKeyfob(t);
  const userId = session.user.id as string;
  const at = Date.now() - 60_000;
  const event = vehicleStateEvent({
    signals: [{ code: 'odometer-traveleddistance', body: { value: 777, unit: 'km' }, at }],
  });
  assert.equal(await deliverWebhook(keyfob.url, keyfob.config.smartcar.webhookAmt as string, event), 200);
  for (let i = 0; i < 100 && (await keyfob.app.db.vehicleSignalHistory.count()) === 0; i++) await sleep(50);
  const { tokens, vins } = await secretsOf(keyfob, userId);
  assert.ok(tokens.length >= 2 && vins.length >= 2);

  const masked = await browser.request('GET', '/api/account/export');
  assert.equal(masked.status, 200, masked.text);
  assert.equal(masked.json.user.id, userId);
  assert.ok(masked.json.identities.length >= 1);
  assert.ok(masked.json.connections.length >= 1);
  assert.equal(masked.json.vehicles.length, vins.length);
  assert.equal(masked.json.vehicleEvents.history.length, 1);
  assert.equal(masked.json.vehicleEvents.history[0].value.value, 777);
  assert.ok(masked.json.auditTrail.some((entry: { action: string }) => entry.action === 'connect'));
  for (const token of tokens) assert.ok(!masked.text.includes(token), 'no token in the export');
  for (const vin of vins) {
    assert.ok(!masked.text.includes(vin), 'no full VIN unless asked');
    assert.ok(masked.text.includes(`*************${vin.slice(-4)}`), 'the VIN masked');
  }
  assert.doesNotMatch(masked.text, /token_enc|tokenEnc|wrapped/i, 'no ciphertext either');

  const full = await browser.request('GET', '/api/account/export?vin=full');
  assert.equal(full.status, 200, 'a sign-in a moment ago is fresh');
  for (const vin of vins) assert.ok(full.text.includes(vin), 'the full VIN when asked');
  for (const token of tokens) assert.ok(!full.text.includes(token), 'still no token');

  const noCsrf = await browser.request('GET', '/api/account/export', { csrf: false });
  assert.equal(noCsrf.status, 403, 'the CSRF header is required');
  assert.equal((await browser.request('GET', '/api/account/export?vin=all')).status, 400, 'a bad choice is a 400');
});

test('an old sign-in may export masked, but neither export full VINs nor erase the account', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('needs REDIS_URL: the test ages the session where Keyfob keeps it (the in-memory store is not reachable)');
    return;
  }
  const { keyfob, browser, session } = await connectedKeyfob(t);
  const cookie = [...browser.cookies.values()][0] as string;
  await ageSession(keyfob, cookie);
  assert.equal((await browser.request('GET', '/api/account/export')).status, 200);
  const full = await browser.request('GET', '/api/account/export?vin=full');
  assert.equal(full.status, 403);
  assert.equal(full.json.error, 'fresh_sign_in_required');
  assert.equal(full.json.loginUrl, '/auth/login?returnTo=/');
  const erase = await browser.request('DELETE', '/api/account');
  assert.equal(erase.status, 403);
  assert.equal(erase.json.error, 'fresh_sign_in_required');
  assert.equal(await keyfob.app.db.user.count({ where: { id: session.user.id } }), 1, 'nothing was erased');
  assert.equal((await browser.request('GET', '/api/vehicles')).status, 200, 'and the session goes on');
});
