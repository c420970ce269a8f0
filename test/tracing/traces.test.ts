/**
 * OpenTelemetry traces to a receiver of our own: a span per request (continuing the browser's `traceparent`), with
 * child spans for the session read, the token refresh (with its outcome) and the upstream call; nothing secret in
 * any of them (no token, code, cookie, VIN, client secret or user id); `traceparent` goes upstream only with
 * OTEL_PROPAGATE_UPSTREAM=true. Off without an endpoint.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, expireStoredAccessTokens } from '../helpers/connected.ts';
import { externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { otlpReceiver } from '../helpers/otlp-receiver.ts';

const BROWSER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A relay in front of the sandbox's vehicle API that remembers the trace headers each call carried. */
async function headerRecordingRelay(t: TestContext, target: string) {
  const seen: Array<string | undefined> = [];
  const server = createServer(async (request, response) => {
    seen.push(request.headers.traceparent as string | undefined);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
    ) as Record<string, string>;
    const answer = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function tracedKeyfob(t: TestContext, env: NodeJS.ProcessEnv = {}) {
  const receiver = await otlpReceiver(t);
  const port = await freePort();
  const { env: providerEnv, sandbox, clientSecret } = await externalSandbox(t, `http://127.0.0.1:${port}`);
  const relay = await headerRecordingRelay(t, sandbox.url);
  const keyfob = await startKeyfobUnderTest(t, {
    ...providerEnv,
    PORT: String(port),
    SMARTCAR_API_URL: `${relay.url}/v2.0`,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    ...env,
  });
  return { keyfob, receiver, relay, clientSecret };
}

test('a traced proxied call: request span, session read, refresh with its outcome, upstream call; nothing secret', async (t) => {
  const { keyfob, receiver, relay, clientSecret } = await tracedKeyfob(t);
  const browser = new Browser(keyfob.url);
  await browser.connect({ account: ALEX_ACCOUNT });
  const session = (await browser.request('GET', '/auth/session')).json;
  const tesla = session.vehicles.find((vehicle: { make: string }) => vehicle.make === 'TESLA');
  await expireStoredAccessTokens(keyfob);
  const answer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, {
    headers: { traceparent: `00-${BROWSER_TRACE}-00f067aa0ba902b7-01` },
  });
  assert.equal(answer.status, 200);
  // What a trace must never hold, gathered before the close: the tokens as stored now, the VINs, the cookie ...
  const grant = await keyfob.app.repos.grants.findTokens(
    tesla ? (await keyfob.app.db.vehicle.findUniqueOrThrow({ where: { id: tesla.id } })).grantId : '',
  );
  const vins = (await keyfob.app.repos.vehicles.listInReach({ userId: session.user.id })).map((vehicle) =>
    keyfob.app.repos.vehicles.revealVin(vehicle),
  );
  const code = new URL(browser.seen.find((seen) => seen.url.includes('/auth/callback?'))?.url ?? '').searchParams.get(
    'code',
  );
  const secrets = [
    grant?.accessToken,
    grant?.refreshToken,
    ...vins,
    code,
    ...browser.cookies.values(),
    clientSecret,
    session.user.id,
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);
  assert.ok(secrets.length >= 7);
  await keyfob.close(); // sends what is buffered

  const spans = receiver.spans();
  const request = spans.find((span) => span.name === 'GET /api/vehicles/:vehicleId/odometer');
  assert.ok(request, `spans: ${spans.map((span) => span.name).join(', ')}`);
  assert.equal(request.traceId, BROWSER_TRACE, "the browser's trace continues");
  assert.equal(request.attributes['http.response.status_code'], 200);
  assert.equal(request.attributes['http.route'], '/api/vehicles/:vehicleId/odometer');
  const children = spans.filter((span) => span.parentSpanId === request.spanId);
  const named = (name: string) => children.find((span) => span.name === name);
  assert.ok(named('session.read'), 'the session read');
  assert.equal(named('token.refresh')?.attributes['keyfob.refresh.outcome'], 'refreshed', 'the refresh, its outcome');
  assert.equal(named('upstream.call')?.attributes['http.response.status_code'], 200, 'the upstream call');
  assert.equal(named('upstream.call')?.attributes['keyfob.route'], '/odometer');
  const everything = receiver.raw();
  for (const secret of secrets)
    assert.ok(!everything.includes(secret), `a secret reached the traces: ${secret.slice(0, 6)}…`);
  assert.ok(relay.seen.length > 0 && relay.seen.every((header) => header === undefined), 'no traceparent upstream');
});

test('OTEL_PROPAGATE_UPSTREAM=true sends the upstream span as traceparent; without an endpoint nothing is traced', async (t) => {
  const { keyfob, relay } = await tracedKeyfob(t, { OTEL_PROPAGATE_UPSTREAM: 'true' });
  const browser = new Browser(keyfob.url);
  await browser.connect({ account: ALEX_ACCOUNT });
  const [vehicle] = (await browser.request('GET', '/api/vehicles')).json.vehicles;
  await browser.request('GET', `/api/vehicles/${vehicle.id}/odometer`, {
    headers: { traceparent: `00-${BROWSER_TRACE}-00f067aa0ba902b7-01` },
  });
  assert.match(relay.seen.at(-1) ?? '', new RegExp(`^00-${BROWSER_TRACE}-[0-9a-f]{16}-01$`));

  const untraced = await startKeyfobUnderTest(t);
  assert.equal(untraced.app.tracing.enabled, false);
});
