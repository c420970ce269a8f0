/**
 * The Smartcar simulator's webhooks, as the reference describes Smartcar's: compact JSON signed with the AMT
 * (hex HMAC-SHA256 of the body), `eventId` kept across retries and `deliveryId` new on each, retries after 25, 50
 * and 100 s (scaled here) when the receiver fails, then dropped; signals limited to the grant's permissions; the
 * VERIFY flow checks the receiver's answer.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { ALEX, CLIENT_ID, CLIENT_SECRET, obtainTokens, REDIRECT_URI, TESLA } from './sandbox-fixture.ts';

const AMT = 'sandbox-amt-0123456789abcdef';

interface Received {
  at: number;
  body: string;
  signature: string | undefined;
}

/** A receiver that answers each delivery with the next status of `statuses` (the last one repeats). */
async function receiver(t: TestContext, statuses: number[]) {
  const received: Received[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({
      at: Date.now(),
      body: Buffer.concat(chunks).toString('utf8'),
      signature: request.headers['sc-signature'] as string | undefined,
    });
    response.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/smartcar`, received };
}

async function sandboxWithGrant(t: TestContext, url: string, permissions: string[]) {
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId: CLIENT_ID, secrets: [CLIENT_SECRET], redirectUris: [REDIRECT_URI] }],
    settings: { webhookRetryPercent: 1 },
    smartcarWebhook: { url, amt: AMT },
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  const tokens = await obtainTokens(sandbox.url, `read_vehicle_info ${permissions.join(' ')}`);
  return Object.assign(sandbox, { accessToken: tokens.access_token });
}

const send = (sandboxUrl: string) =>
  fetch(`${sandboxUrl}/sandbox/webhooks/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vehicleId: TESLA }),
  }).then((response) => response.json() as Promise<{ eventIds: string[] }>);

test('sandbox webhooks: signed compact JSON, the grant permissions only, retried with the same eventId, then dropped', async (t) => {
  const target = await receiver(t, [500, 503, 200]);
  const sandbox = await sandboxWithGrant(t, target.url, ['read_odometer', 'read_security']);
  const { eventIds } = await send(sandbox.url);
  assert.equal(eventIds.length, 1);
  for (let i = 0; i < 100 && target.received.length < 3; i++) await sleep(20);
  assert.equal(target.received.length, 3, 'two failures, then delivered');
  const bodies = target.received.map((delivery) => JSON.parse(delivery.body));
  for (const [i, delivery] of target.received.entries()) {
    assert.equal(delivery.signature, createHmac('sha256', AMT).update(delivery.body).digest('hex'));
    assert.equal(delivery.body, JSON.stringify(bodies[i]), 'compact JSON');
  }
  assert.deepEqual(new Set(bodies.map((body) => body.eventId)), new Set(eventIds), 'one eventId across retries');
  assert.equal(new Set(bodies.map((body) => body.meta.deliveryId)).size, 3, 'a new deliveryId on each attempt');
  const [firstAt, secondAt, thirdAt] = target.received.map((delivery) => delivery.at);
  assert.ok((secondAt as number) - (firstAt as number) >= 200, '25 s scaled to 1 %');
  assert.ok((thirdAt as number) - (secondAt as number) >= 450, '50 s scaled to 1 %');
  const event = bodies[0];
  assert.equal(event.eventType, 'VEHICLE_STATE');
  assert.equal(event.data.user.id, ALEX);
  assert.deepEqual(
    event.data.signals.map((signal: { code: string }) => signal.code).sort(),
    ['closure-islocked', 'odometer-traveleddistance'],
    'only what the grant allows: no location, no battery',
  );
  assert.equal(typeof event.data.signals[0].meta.oemUpdatedAt, 'number');

  const failing = await receiver(t, [500]);
  const dropping = await sandboxWithGrant(t, failing.url, ['read_odometer']);
  await send(dropping.url);
  await sleep(2_500);
  assert.equal(failing.received.length, 4, 'the first attempt and three retries');
  const calls = (await (await fetch(`${dropping.url}/sandbox/calls`)).json()) as Record<string, number>;
  assert.equal(calls['webhook.dropped'], 1);
});

test('sandbox webhooks: a command sends the vehicle state; VERIFY checks the answer', async (t) => {
  const target = await receiver(t, [200]);
  const sandbox = await sandboxWithGrant(t, target.url, ['read_security', 'control_security']);
  const before = target.received.length;
  assert.equal(
    (await fetch(`${sandbox.url}/sandbox/webhooks/verify`, { method: 'POST' }).then((r) => r.json())).verified,
    false,
    'a receiver that does not answer the challenge is not verified',
  );
  for (let i = 0; i < 50 && target.received.length === before; i++) await sleep(20);
  assert.equal(JSON.parse(target.received.at(-1)?.body ?? '{}').eventType, 'VERIFY');
  assert.equal(target.received.at(-1)?.signature, undefined, 'VERIFY unsigned by default (the stricter side)');
});
