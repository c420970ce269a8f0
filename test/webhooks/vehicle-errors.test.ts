/**
 * A car's true connection state: Smartcar's VEHICLE_ERROR webhooks (sent by the sandbox's connection controls, or
 * signed here) change what `/auth/session`, the live stream and the proxy say of a vehicle; events out of order,
 * twice, for unknown vehicles or malformed change nothing they must not; High Mobility's consent ended at the
 * carmaker does the same on a call. Metrics and audit events record each change.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, connectedBrowser, sandboxCalls, sandboxControl } from '../helpers/connected.ts';
import { HM_CARS } from '../helpers/highmobility.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { openStream } from '../helpers/live-stream.ts';
import { deliverWebhook, signWebhook, TESLA_AT_SMARTCAR, vehicleErrorEvent } from '../helpers/smartcar-webhook.ts';

interface SessionVehicle {
  id: string;
  make: string;
  status: string;
  statusMessage: string | null;
  loginUrl?: string;
  features: string[];
  conditions: Array<{ type: string; code: string | null; effect: string; message: string | null }>;
}

async function errorKeyfob(t: TestContext, env: NodeJS.ProcessEnv = {}) {
  const keyfob = await startKeyfobUnderTest(t, env);
  const amt = keyfob.config.smartcar.webhookAmt as string;
  const { browser, byMake } = await connectedBrowser(keyfob);
  const tesla = byMake('TESLA').id as string;
  const teslaNow = async (who: Browser = browser): Promise<SessionVehicle> => {
    const session = await who.request('GET', '/auth/session');
    return session.json.vehicles.find((vehicle: SessionVehicle) => vehicle.id === tesla);
  };
  const processed = async () => {
    for (let i = 0; i < 100; i++) {
      if ((await keyfob.app.repos.webhookDeliveries.pending()) === 0) return;
      await sleep(20);
    }
    assert.fail('deliveries were not processed');
  };
  /** Signs and delivers one VEHICLE_ERROR, then waits until it was processed. */
  const report = async (options: Parameters<typeof vehicleErrorEvent>[0]) => {
    const body = vehicleErrorEvent(options);
    assert.equal(await deliverWebhook(keyfob.url, amt, body), 200);
    await processed();
    return body;
  };
  return { keyfob, amt, browser, tesla, teslaNow, processed, report };
}

/**
 * The vehicle as the first `status` event that shows it in `status` has it. A status event is the whole picture
 * each time, and may come more than once for one change (the bus delivers on this instance and again through
 * Redis), so an earlier picture may still be in the stream.
 */
async function statusOnStream(stream: Awaited<ReturnType<typeof openStream>>, vehicleId: string, status: string) {
  for (;;) {
    const event = await stream.next(3_000);
    if (event === undefined) assert.fail('the stream ended');
    if (event.event !== 'status') continue;
    const vehicle = (JSON.parse(event.data ?? '{}') as { vehicles: SessionVehicle[] }).vehicles.find(
      (candidate) => candidate.id === vehicleId,
    );
    if (vehicle?.status === status) return vehicle;
  }
}

test("a revoked grant's VEHICLE_ERROR makes the car reauth_required at once, in the session and live; calls stop; reconnecting clears it", async (t) => {
  const { keyfob, browser, tesla, teslaNow } = await errorKeyfob(t);
  const stream = await openStream(keyfob.url, browser);
  t.after(() => stream.close());
  const started = Date.now();
  // The owner ends the connection at the provider: Smartcar refuses the tokens and sends a signed VEHICLE_ERROR.
  await sandboxControl(keyfob, `smartcar/vehicles/${TESLA_AT_SMARTCAR}/revoke`, {});
  const live = await statusOnStream(stream, tesla, 'reauth_required');
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1_000, `on the open stream within a second (took ${elapsed} ms)`);
  assert.equal(live?.loginUrl, '/auth/login?provider=smartcar');
  assert.match(live?.statusMessage ?? '', /connect your car again/);
  assert.deepEqual(
    live?.conditions.map((c) => [c.type, c.code, c.effect]),
    [['CONNECTED_SERVICES_ACCOUNT', 'AUTHENTICATION_FAILED', 'reconnect']],
  );
  const session = await teslaNow();
  assert.equal(session.status, 'reauth_required');
  assert.equal(session.loginUrl, '/auth/login?provider=smartcar');

  const before = await sandboxCalls(keyfob);
  const call = await browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  assert.equal(call.status, 401);
  assert.equal(call.json.error, 'reauth_required');
  assert.equal(call.json.loginUrl, '/auth/login?provider=smartcar');
  const after = await sandboxCalls(keyfob);
  assert.equal(after['api.GET /odometer'] ?? 0, before['api.GET /odometer'] ?? 0, 'the provider was not called');
  assert.equal(after['token.refresh_token'] ?? 0, before['token.refresh_token'] ?? 0, 'nor its token endpoint');

  // Connecting again (a new consent at Smartcar) is what it asked for: the car is active, and its data flows.
  const callback = await browser.connect({ account: ALEX_ACCOUNT });
  assert.equal(callback.status, 302);
  const reconnected = await teslaNow();
  assert.equal(reconnected.status, 'active');
  assert.deepEqual(reconnected.conditions, []);
  assert.equal(reconnected.loginUrl, undefined);
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  // Audit events are written in batches (every 100 ms): wait for this one.
  const auditOf = () =>
    keyfob.app.db.auditEvent.findMany({
      where: { action: 'vehicle_status', vehicleId: tesla },
      select: { outcome: true, clientId: true },
    });
  for (let i = 0; i < 50 && (await auditOf()).length === 0; i++) await sleep(50);
  assert.deepEqual(await auditOf(), [{ outcome: 'active->reauth_required', clientId: 'provider:smartcar' }]);
});

test('ASLEEP then RESOLVED shows the car asleep and clears it, with no reconnect; calls still reach the car', async (t) => {
  const { keyfob, browser, tesla, teslaNow } = await errorKeyfob(t);
  const stream = await openStream(keyfob.url, browser);
  t.after(() => stream.close());
  await sandboxControl(keyfob, `smartcar/vehicles/${TESLA_AT_SMARTCAR}/state`, { state: 'ASLEEP' });
  const asleep = await statusOnStream(stream, tesla, 'asleep');
  assert.match(asleep?.statusMessage ?? '', /asleep/);
  assert.equal(asleep?.loginUrl, undefined, 'no reconnect is asked for');
  // Not blocked: the provider is asked, and says the car sleeps (Smartcar's 409 VEHICLE_STATE, relayed).
  const call = await browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  assert.equal(call.status, 409);
  assert.equal(call.json.code, 'ASLEEP');

  await sandboxControl(keyfob, `smartcar/vehicles/${TESLA_AT_SMARTCAR}/state`, { state: 'ONLINE' });
  const awake = await statusOnStream(stream, tesla, 'active');
  assert.deepEqual(awake?.conditions, []);
  assert.equal((await teslaNow()).status, 'active');
  assert.equal((await browser.request('GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  const metrics = await (await fetch(`${keyfob.url}/metrics`)).text();
  for (const state of ['ERROR', 'RESOLVED']) {
    assert.match(
      metrics,
      new RegExp(
        `keyfob_vehicle_conditions_total\\{provider="smartcar",type="VEHICLE_STATE",code="ASLEEP",state="${state}",outcome="applied"\\} 1`,
      ),
    );
  }
  assert.doesNotMatch(metrics, new RegExp(`keyfob_vehicle_conditions_total\\{[^}]*${tesla}`), 'no vehicle label');
});

test('order, duplicates and strangers: an older ERROR after a newer RESOLVED, a repeated delivery and an unknown vehicle change nothing', async (t) => {
  const { keyfob, amt, tesla, teslaNow, processed, report } = await errorKeyfob(t);
  const asleep = { type: 'VEHICLE_STATE', code: 'ASLEEP', resolution: 'RETRY_LATER' };
  const t0 = Date.now();
  // Concurrent deliveries: the RESOLVED (newer) is processed first, the ERROR it ended arrives after.
  await report({ errors: [{ ...asleep, state: 'RESOLVED' }], deliveredAt: t0 + 1_000 });
  await report({ errors: [{ ...asleep, state: 'ERROR' }], deliveredAt: t0 });
  assert.equal((await teslaNow()).status, 'active', 'the older ERROR did not undo the newer RESOLVED');
  const stored = await keyfob.app.db.vehicleCondition.findMany({ where: { vehicleId: tesla } });
  assert.deepEqual(
    stored.map((row) => [row.code, row.state, row.reportedAt.getTime()]),
    [['ASLEEP', 'RESOLVED', t0 + 1_000]],
  );

  // At least once: the same event (same eventId) delivered again after a newer RESOLVED is a duplicate.
  const eventId = randomUUID();
  const unreachable = { type: 'VEHICLE_STATE', code: 'UNREACHABLE', resolution: 'RETRY_LATER' };
  const first = await report({ eventId, errors: [{ ...unreachable, state: 'ERROR' }], deliveredAt: t0 + 2_000 });
  assert.equal((await teslaNow()).status, 'unreachable');
  await report({ errors: [{ ...unreachable, state: 'RESOLVED' }], deliveredAt: t0 + 3_000 });
  const again = await fetch(`${keyfob.url}/webhooks/smartcar`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'sc-signature': signWebhook(amt, first),
    },
    body: first,
  });
  assert.deepEqual(await again.json(), { received: true, duplicate: true });
  await processed();
  assert.equal((await teslaNow()).status, 'active');

  // A car Keyfob does not know: acknowledged and stored, nothing else.
  const conditionsBefore = await keyfob.app.db.vehicleCondition.count();
  await report({
    vehicleId: randomUUID(),
    errors: [{ type: 'CONNECTED_SERVICES_ACCOUNT', code: 'AUTHENTICATION_FAILED', state: 'ERROR' }],
    deliveredAt: t0 + 4_000,
  });
  assert.equal(await keyfob.app.db.vehicleCondition.count(), conditionsBefore);
  const outcomes = await keyfob.app.db.webhookDelivery.findMany({
    where: { eventType: 'VEHICLE_ERROR' },
    select: { outcome: true },
    orderBy: { receivedAt: 'asc' },
  });
  assert.deepEqual(
    outcomes.map((row) => row.outcome),
    ['applied', 'applied_with_older_values', 'applied', 'applied', 'unknown_vehicle'],
  );
  assert.equal((await teslaNow()).status, 'active');
});

test('compatibility and permission errors take their signals out of features; unknown kinds are kept as notices; bad ones are refused', async (t) => {
  const { keyfob, amt, teslaNow, report } = await errorKeyfob(t);
  const t0 = Date.now();
  assert.ok((await teslaNow()).features.includes('GET /location'));
  await report({
    errors: [
      { type: 'COMPATIBILITY', code: 'VEHICLE_NOT_CAPABLE', state: 'ERROR', signals: ['location-preciselocation'] },
      { type: 'PERMISSION', code: null, state: 'ERROR', resolution: 'REAUTHENTICATE', signals: ['closure-islocked'] },
      {
        type: 'SOMETHING_NEW',
        code: 'NEVER_SEEN',
        state: 'ERROR',
        suggestedUserMessage: '<img src=x onerror=alert(1)>',
      },
    ],
    deliveredAt: t0,
  });
  const limited = await teslaNow();
  assert.equal(limited.status, 'active', 'the rest of the car keeps working');
  assert.ok(!limited.features.includes('GET /location'));
  assert.ok(!limited.features.includes('GET /security'));
  assert.ok(limited.features.includes('GET /odometer'));
  assert.ok(limited.features.includes('POST /security'), 'a command is no signal read');
  assert.deepEqual(
    limited.conditions.map((c) => [c.type, c.code, c.effect]),
    [
      ['COMPATIBILITY', 'VEHICLE_NOT_CAPABLE', 'feature'],
      ['PERMISSION', null, 'feature'],
      ['SOMETHING_NEW', 'NEVER_SEEN', 'notice'],
    ],
  );
  // The provider's text is returned as text, for the page to show as text.
  assert.equal(limited.conditions[2]?.message, '<img src=x onerror=alert(1)>');
  await report({
    errors: [{ type: 'COMPATIBILITY', code: 'VEHICLE_NOT_CAPABLE', state: 'RESOLVED', signals: [] }],
    deliveredAt: t0 + 1_000,
  });
  assert.ok((await teslaNow()).features.includes('GET /location'));

  const stored = await keyfob.app.db.webhookDelivery.count();
  for (const errors of [
    [{ type: 'VEHICLE_STATE', code: 'ASLEEP', state: 'SLEEPY' }],
    [{ type: 'vehicle state', code: 'ASLEEP', state: 'ERROR' }],
    'not a list',
  ]) {
    const body = vehicleErrorEvent({ errors: [], deliveredAt: t0 }).replace(
      '"errors":[]',
      `"errors":${JSON.stringify(errors)}`,
    );
    const answer = await fetch(`${keyfob.url}/webhooks/smartcar`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'sc-signature': signWebhook(amt, body),
      },
      body,
    });
    assert.equal(answer.status, 400);
    assert.match((await answer.json()).message, /not a webhook event: .*(error|errors)/);
  }
  assert.equal(await keyfob.app.db.webhookDelivery.count(), stored, 'nothing stored');
});

test('High Mobility: a consent the carmaker removed turns the car reauth_required on the call that meets it', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const browser = new Browser(keyfob.url);
  const callback = await browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 });
  assert.equal(callback.headers.get('location'), '/');
  const session = await browser.request('GET', '/auth/session');
  const car = session.json.vehicles.find((v: SessionVehicle & { provider: string }) => v.provider === 'highmobility');
  assert.equal((await browser.request('GET', `/api/vehicles/${car.id}/odometer`)).status, 200);
  const vin = keyfob.sandbox?.state.vehicles.get(HM_CARS.alexRav4.split(':')[1] as string)?.spec.vin;
  await sandboxControl(keyfob, 'highmobility/consents/remove-at-oem', { vin });
  const refused = await browser.request('GET', `/api/vehicles/${car.id}/odometer`);
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error, 'reauth_required');
  assert.equal(refused.json.loginUrl, '/auth/login?provider=highmobility');
  const before = await sandboxCalls(keyfob);
  const again = await browser.request('GET', `/api/vehicles/${car.id}/odometer`);
  assert.equal(again.json.error, 'reauth_required');
  const after = await sandboxCalls(keyfob);
  assert.equal(
    after['highmobility.api.GET /v1/vehicle-data'],
    before['highmobility.api.GET /v1/vehicle-data'],
    'the provider is not called again',
  );
  const now = (await browser.request('GET', '/auth/session')).json.vehicles.find(
    (v: SessionVehicle) => v.id === car.id,
  ) as SessionVehicle;
  assert.equal(now.status, 'reauth_required');
  assert.deepEqual(
    now.conditions.map((c) => [c.type, c.code]),
    [['CONSENT', 'REMOVED_BY_OEM']],
  );
  // Connecting the car again ends it.
  assert.equal((await browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 })).headers.get('location'), '/');
  assert.equal((await browser.request('GET', `/api/vehicles/${car.id}/odometer`)).status, 200);
});
