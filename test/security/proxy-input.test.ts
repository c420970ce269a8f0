/**
 * Attacks on the proxy's input: traversal and encoded separators in the vehicle id and the resource path, query
 * strings and headers aiming at another upstream host or path, header injection, hop-by-hop headers, oversized
 * bodies, methods outside the route table. None reaches the provider: the sandbox's call counters prove it, and
 * for the calls that do go through, the sandbox's record of the request shows exactly the route's own path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedKeyfob, sandboxCalls } from '../helpers/connected.ts';
import { rawRequest } from '../helpers/raw-http.ts';

async function lastUpstreamRequest(sandboxUrl: string) {
  return (await fetch(`${sandboxUrl}/sandbox/last-request`).then((r) => r.json())) as {
    method: string;
    url: string;
    headers: Record<string, string>;
  };
}

test('traversal and encoded separators in the vehicle id or the path never reach the provider', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const host = new URL(keyfob.url).host;
  const targets = [
    `/api/vehicles/../../sandbox/calls`,
    `/api/vehicles/%2e%2e/%2e%2e/sandbox/calls`,
    `/api/vehicles/%2E%2E%2F%2E%2E%2Fsandbox/odometer`,
    `/api/vehicles/..%2f..%2fv2.0%2fvehicles/odometer`,
    `/api/vehicles/..%5c..%5cv2.0/odometer`,
    `/api/vehicles/%252e%252e%252f/odometer`,
    `/api/vehicles/${tesla.id}%2f..%2f${tesla.id}/odometer`,
    `/api/vehicles/${tesla.id}/../${tesla.id}/odometer`,
    `/api/vehicles/${tesla.id}/odometer/..`,
    `/api/vehicles/${tesla.id}/odometer/../../../sandbox/calls`,
    `/api/vehicles/${tesla.id}/%2e%2e/%2e%2e/%2e%2e/sandbox/calls`,
    `/api/vehicles/${tesla.id}/odometer%2f..%2f..%2fpermissions`,
    `/api/vehicles/${tesla.id}/odometer%5c..%5cpermissions`,
    `/api/vehicles/${tesla.id}/odometer%252f..%252fpermissions`,
    `/api/vehicles/${tesla.id}/odometer%00`,
    `/api/vehicles/${tesla.id}/odometer%0d%0aX-Injected:%201`,
    `/api/vehicles/${tesla.id}//odometer`,
    `/api/vehicles/${tesla.id}/ODOMETER`,
    `/api/vehicles/${tesla.id}/odometer;jsessionid=x`,
    `/api/vehicles/${tesla.id.toUpperCase()}x/odometer`,
    `/api/vehicles/${tesla.providerVehicleId ?? 'provider-id'}/odometer`,
    `/api/vehicles/%20${tesla.id}/odometer`,
    `http://evil.example/api/vehicles/${tesla.id}/odometer`,
    `//evil.example/api/vehicles/${tesla.id}/odometer`,
  ];
  const before = await sandboxCalls(keyfob);
  for (const target of targets) {
    const answer = await rawRequest(
      keyfob.url,
      `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`,
    );
    assert.ok(answer.status >= 400 && answer.status < 500, `${target}: ${answer.status}`);
    assert.match(answer.headers['content-type'] ?? '', /application\/json/, target);
    assert.ok(JSON.parse(answer.body).error, target);
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'not one reached the provider');
});

test('query strings and headers cannot steer the upstream host or path', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const expectedPath = /^\/v2\.0\/vehicles\/[^/?]+\/odometer$/;
  const queries = [
    '?url=http://evil.example/',
    '?host=evil.example',
    '?@evil.example',
    '?redirect=//evil.example',
    '?path=../permissions',
    '?%2e%2e/%2e%2e=1',
    '#@evil.example',
  ];
  for (const query of queries) {
    const answer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer${query}`);
    assert.equal(answer.status, 200, query);
    const upstream = await lastUpstreamRequest(keyfob.sandbox?.url ?? '');
    assert.match(upstream.url, expectedPath, `${query} stays on the route's own upstream path, without the query`);
  }
  const steering = {
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'gopher',
    forwarded: 'host=evil.example;proto=https',
    'x-original-url': '/v2.0/vehicles/other/odometer',
    'x-rewrite-url': '/v2.0/vehicles/other/odometer',
    'x-http-method-override': 'DELETE',
    'x-forwarded-for': '10.0.0.1',
    'x-real-ip': '10.0.0.1',
  };
  const answer = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, { headers: steering });
  assert.equal(answer.status, 200);
  const upstream = await lastUpstreamRequest(keyfob.sandbox?.url ?? '');
  assert.equal(upstream.method, 'GET');
  assert.match(upstream.url, expectedPath);
  for (const name of Object.keys(steering)) assert.equal(upstream.headers[name], undefined, `${name} is not forwarded`);
});

test('header injection (bare CR, LF, NUL, obs-fold) is refused with 400 before anything is forwarded', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const host = new URL(keyfob.url).host;
  const before = await sandboxCalls(keyfob);
  const injected = [
    'Accept: application/json\rAuthorization: Bearer stolen',
    'Accept: application/json\nAuthorization: Bearer stolen',
    'Sc-Unit-System: metric\u0000Authorization: Bearer stolen',
    'Sc-Unit-System: metric\r\n Authorization: Bearer stolen',
    'Sc-Unit-System: metric\r\n\tX-Injected: 1',
  ];
  for (const header of injected) {
    const answer = await rawRequest(
      keyfob.url,
      `GET /api/vehicles/${tesla.id}/odometer HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\n${header}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(answer.status, 400, JSON.stringify(header));
    assert.equal(JSON.parse(answer.body).error, 'bad_request');
  }
  assert.deepEqual(await sandboxCalls(keyfob), before);
});

test('hop-by-hop and proxy headers from the browser are never forwarded', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const host = new URL(keyfob.url).host;
  const body = JSON.stringify({ action: 'LOCK' });
  const answer = await rawRequest(
    keyfob.url,
    [
      `POST /api/vehicles/${tesla.id}/security HTTP/1.1`,
      `Host: ${host}`,
      `Cookie: ${cookie}`,
      'X-CSRF: 1',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'Connection: close, X-Secret-Hop',
      'X-Secret-Hop: 1',
      'Keep-Alive: timeout=600',
      'TE: trailers',
      'Upgrade: websocket',
      'Proxy-Authorization: Basic YWRtaW46YWRtaW4=',
      'Proxy-Connection: keep-alive',
      'Trailer: X-After',
      '',
      body,
    ].join('\r\n'),
  );
  assert.equal(answer.status, 200, answer.body);
  const upstream = await lastUpstreamRequest(keyfob.sandbox?.url ?? '');
  for (const name of [
    'x-secret-hop',
    'keep-alive',
    'te',
    'upgrade',
    'proxy-authorization',
    'proxy-connection',
    'trailer',
    'cookie',
    'x-csrf',
  ]) {
    assert.equal(upstream.headers[name], undefined, `${name} is not forwarded`);
  }
  assert.notEqual(upstream.headers.connection, 'close, X-Secret-Hop');
});

test('oversized bodies are 413 and methods outside the route table are 4xx, none reaching the provider', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const before = await sandboxCalls(keyfob);
  const huge = await browser.request('POST', `/api/vehicles/${tesla.id}/security`, {
    body: { action: 'LOCK', padding: 'x'.repeat(100_000) },
  });
  assert.equal(huge.status, 413);
  assert.equal(huge.json.error, 'payload_too_large');
  const deep = await browser.request('POST', `/api/vehicles/${tesla.id}/batch`, {
    body: { requests: Array.from({ length: 500 }, () => ({ path: '/odometer' })) },
  });
  assert.equal(deep.status, 400, 'a batch longer than the table allows');
  const batchEscape = await browser.request('POST', `/api/vehicles/${tesla.id}/batch`, {
    body: { requests: [{ path: '/../../other/odometer' }] },
  });
  assert.equal(batchEscape.status, 400, 'a batch path outside the table');
  for (const method of ['PUT', 'PATCH', 'DELETE', 'POST', 'PROPFIND', 'OPTIONS']) {
    const answer = await browser.request(method, `/api/vehicles/${tesla.id}/odometer`);
    assert.ok(answer.status === 404 || answer.status === 405 || answer.status === 400, `${method}: ${answer.status}`);
    assert.ok(answer.json?.error, `${method} answers JSON`);
  }
  const head = await browser.request('HEAD', `/api/vehicles/${tesla.id}/odometer`);
  assert.equal(head.status, 404, 'HEAD is not in the table either (no implicit HEAD route running the GET)');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  for (const method of ['TRACE', 'CONNECT']) {
    const answer = await rawRequest(
      keyfob.url,
      `${method} /api/vehicles/${tesla.id}/odometer HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`,
    );
    assert.ok(answer.status >= 400 && answer.status < 500, `${method}: ${answer.status}`);
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'not one reached the provider');
});
