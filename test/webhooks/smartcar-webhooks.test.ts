/**
 * `POST /webhooks/smartcar` against hostile and real deliveries: every bad signature refused with nothing stored,
 * the verification challenge answered only in its strict format (so its answer can never sign an event), the
 * sandbox's own verification and signed events, duplicates and out-of-order deliveries, an unknown vehicle, and
 * values sealed at rest.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { signWebhook, vehicleStateEvent } from '../helpers/smartcar-webhook.ts';

async function webhookKeyfob(t: TestContext) {
  const keyfob = await startKeyfobUnderTest(t);
  const amt = keyfob.config.smartcar.webhookAmt as string;
  assert.ok(amt, 'the sandboxed Smartcar has an AMT');
  const post = async (body: string | Uint8Array, headers: Record<string, string> = {}) => {
    const response = await fetch(`${keyfob.url}/webhooks/smartcar`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
  const sign = (body: string | Uint8Array, key = amt) => signWebhook(key, body);
  const stored = () => keyfob.app.db.webhookDelivery.count();
  return { keyfob, amt, post, sign, stored };
}

function stateEvent(options: {
  eventId?: string;
  vehicleId?: string;
  userId?: string;
  odometer?: number;
  at: number;
  latitude?: number;
}) {
  return vehicleStateEvent({
    ...options,
    signals: [
      { code: 'odometer-traveleddistance', body: { value: options.odometer ?? 1000, unit: 'km' }, at: options.at },
      {
        code: 'location-preciselocation',
        body: { latitude: options.latitude ?? 48.137154, longitude: 11.576124, heading: 0 },
        at: options.at,
      },
    ],
  });
}

async function processed(keyfob: Awaited<ReturnType<typeof webhookKeyfob>>['keyfob']) {
  for (let i = 0; i < 100; i++) {
    if ((await keyfob.app.repos.webhookDeliveries.pending()) === 0) return;
    await sleep(50);
  }
  assert.fail('deliveries were not processed');
}

test('the hostile set: a bad, missing, foreign or misplaced signature, oversized or malformed bodies store nothing', async (t) => {
  const { post, sign, stored } = await webhookKeyfob(t);
  const body = stateEvent({ at: Date.now() });
  const other = stateEvent({ at: Date.now(), odometer: 5 });
  const cases: Array<[string, string | Uint8Array, Record<string, string>, number]> = [
    ['a foreign key', body, { 'sc-signature': sign(body, 'not-the-amt-0123456789') }, 401],
    ['a garbage signature', body, { 'sc-signature': 'zz'.repeat(32) }, 401],
    ['a signature over another body', body, { 'sc-signature': sign(other) }, 401],
    ['no signature', body, {}, 401],
    ['an empty signature', body, { 'sc-signature': '' }, 401],
    ['an uppercase (non-canonical) signature', body, { 'sc-signature': sign(body).toUpperCase() }, 401],
  ];
  const oversized = Buffer.from(JSON.stringify({ eventId: 'x', eventType: 'VEHICLE_STATE', pad: 'a'.repeat(70_000) }));
  cases.push(['oversized but signed', oversized, { 'sc-signature': sign(oversized) }, 413]);
  const malformed = '{"eventId": "abc", ';
  cases.push(['malformed but signed', malformed, { 'sc-signature': sign(malformed) }, 400]);
  const noId = JSON.stringify({ eventType: 'VEHICLE_STATE', data: {} });
  cases.push(['signed without an eventId', noId, { 'sc-signature': sign(noId) }, 400]);
  for (const [name, payload, headers, status] of cases) {
    assert.equal((await post(payload, headers)).status, status, name);
  }
  assert.equal(await stored(), 0, 'nothing was stored');
});

test('the challenge: answered in both forms and only in its strict format; its answer signs no event', async (t) => {
  const { keyfob, post, sign, stored } = await webhookKeyfob(t);
  const v4 = await post(
    JSON.stringify({ eventId: randomUUID(), eventType: 'VERIFY', data: { challenge: 'abc_DEF-123' } }),
  );
  assert.deepEqual(v4, { status: 200, json: { challenge: sign('abc_DEF-123') } });
  const v2 = await post(
    JSON.stringify({ version: '2.0', webhookId: 'w', eventName: 'verify', payload: { challenge: 'xyz' } }),
  );
  assert.deepEqual(v2, { status: 200, json: { challenge: sign('xyz') } });
  // The sandbox runs Smartcar's verification flow against Keyfob, unsigned and signed.
  const verify = async () =>
    (await fetch(`${keyfob.sandbox?.url}/sandbox/webhooks/verify`, { method: 'POST' })).json() as Promise<{
      verified: boolean;
    }>;
  assert.equal((await verify()).verified, true);
  await fetch(`${keyfob.sandbox?.url}/sandbox/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ webhookVerify: 'signed' }),
  });
  assert.equal((await verify()).verified, true);
  // An attacker asks Keyfob to "answer" a challenge that is itself an event, to use the answer as its signature.
  const forged = stateEvent({ at: Date.now(), odometer: 1 });
  const asChallenge = await post(
    JSON.stringify({ eventId: randomUUID(), eventType: 'VERIFY', data: { challenge: forged } }),
  );
  assert.equal(asChallenge.status, 401, 'a challenge that could be a payload is not answered');
  assert.equal(asChallenge.json.challenge, undefined);
  // An answerable challenge's answer is a valid signature only over that bare string, which is no event.
  const answer = (
    await post(JSON.stringify({ eventId: randomUUID(), eventType: 'VERIFY', data: { challenge: 'abc' } }))
  ).json.challenge as string;
  assert.equal((await post('abc', { 'sc-signature': answer })).status, 400);
  assert.equal(await stored(), 0);
});

test('deliveries: stored before the answer, duplicates kept once, an older value never overwrites a newer one', async (t) => {
  const { keyfob, post, sign } = await webhookKeyfob(t);
  const { byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id as string;
  const now = Date.now();
  const newer = stateEvent({ at: now, odometer: 2000, latitude: 48.213579 });
  const older = stateEvent({ at: now - 60_000, odometer: 1500, latitude: 48.113579 });
  const sent = async (body: string) => post(body, { 'sc-signature': sign(body) });
  // At least once, unordered, concurrent: the newer twice at once, then the older.
  const [first, again] = await Promise.all([sent(newer), sent(newer)]);
  assert.deepEqual([first.status, again.status], [200, 200]);
  assert.deepEqual([first.json.duplicate, again.json.duplicate].sort(), [false, true]);
  assert.equal((await sent(older)).status, 200);
  await processed(keyfob);
  const latest = await keyfob.app.repos.vehicleSignals.latest(tesla);
  const odometer = latest.find((signal) => signal.code === 'odometer-traveleddistance');
  assert.equal(odometer?.value.value, 2000, 'the older event did not overwrite the newer value');
  const history = await keyfob.app.db.vehicleSignalHistory.findMany({ where: { vehicleId: tesla } });
  assert.equal(history.length, 4, 'two events, two signals each, each once');
  // Sealed at rest: no coordinate in the stored rows (values long enough never to occur in base64 by chance).
  const rows = JSON.stringify(
    await keyfob.app.db.$queryRawUnsafe(
      'SELECT row_to_json(t)::text AS row FROM (SELECT * FROM vehicle_signal_history UNION ALL SELECT NULL, vehicle_id, code, value_enc, oem_updated_at, NULL, NULL FROM vehicle_signals) t',
    ),
  );
  assert.ok(!rows.includes('48.213579') && !rows.includes('11.576124'));
  const deliveries = JSON.stringify(await keyfob.app.db.webhookDelivery.findMany());
  assert.ok(!deliveries.includes('48.213579') && !deliveries.includes(ALEX_ACCOUNT), 'delivery bodies are sealed');
  // An event about a vehicle Keyfob does not know is acknowledged and dropped, and counted.
  const stranger = stateEvent({ at: now, vehicleId: randomUUID(), userId: randomUUID() });
  assert.equal((await sent(stranger)).status, 200);
  await processed(keyfob);
  const metrics = await (await fetch(`${keyfob.url}/metrics`)).text();
  assert.match(metrics, /keyfob_webhook_events_total\{outcome="unknown_vehicle"\} 1/);
  assert.match(metrics, /keyfob_webhook_deliveries_total\{provider="smartcar",outcome="duplicate"\} 1/);
  assert.match(metrics, /keyfob_webhook_processing_lag_seconds_count \d+/);
  // Past keeping: processed deliveries and old history go; each signal's current value stays, and a replay of the
  // older event afterwards changes nothing current.
  assert.equal(await keyfob.app.repos.webhookDeliveries.prune(0), 3, 'newer, older, the stranger');
  assert.equal(await keyfob.app.repos.vehicleSignals.prune(0), 2, "the older event's two values");
  assert.equal((await sent(older)).status, 200);
  await processed(keyfob);
  const after = await keyfob.app.repos.vehicleSignals.latest(tesla);
  assert.equal(after.find((signal) => signal.code === 'odometer-traveleddistance')?.value.value, 2000);
});

test("the sandbox's signed webhooks after a command reach Keyfob and are applied", async (t) => {
  const { keyfob } = await webhookKeyfob(t);
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const tesla = byMake('TESLA').id as string;
  assert.equal(
    (await browser.request('POST', `/api/vehicles/${tesla}/security`, { body: { action: 'UNLOCK' } })).status,
    200,
  );
  for (let i = 0; i < 100; i++) {
    const latest = await keyfob.app.repos.vehicleSignals.latest(tesla);
    const locked = latest.find((signal) => signal.code === 'closure-islocked');
    if (locked) {
      assert.equal(locked.value.value, false);
      return;
    }
    await sleep(50);
  }
  assert.fail('the webhook never arrived');
});
