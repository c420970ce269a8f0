/**
 * Cross-site requests: every `/api` call and the logout demand `X-CSRF: 1`; a request naming another `Origin` is
 * refused on `/auth` and `/api` even with the header; no answer ever grants CORS to anyone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedKeyfob, sandboxCalls } from '../helpers/connected.ts';

test('a foreign Origin is refused (403) on /api and /auth, even with X-CSRF, and never reaches the provider', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const before = await sandboxCalls(keyfob);
  const origins = ['https://evil.example', 'null', `${keyfob.url}.evil.example`, keyfob.url.replace('http:', 'https:')];
  for (const origin of origins) {
    for (const [method, path, body] of [
      ['GET', `/api/vehicles/${tesla.id}/odometer`, undefined],
      ['POST', `/api/vehicles/${tesla.id}/security`, { action: 'UNLOCK' }],
      ['DELETE', `/api/vehicles/${tesla.id}`, undefined],
      ['GET', '/api/vehicles', undefined],
      ['POST', '/auth/logout', undefined],
      ['GET', '/auth/session', undefined],
      ['GET', '/auth/login', undefined],
    ] as const) {
      const answer = await browser.request(method, path, { headers: { origin }, ...(body ? { body } : {}) });
      assert.equal(answer.status, 403, `${method} ${path} from ${origin}`);
      assert.equal(answer.json.error, 'origin_not_allowed');
    }
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'nothing reached the provider');
  const own = await browser.request('GET', `/api/vehicles/${tesla.id}/odometer`, { headers: { origin: keyfob.url } });
  assert.equal(own.status, 200, "Keyfob's own origin passes");
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true, 'still signed in');
});

test('without X-CSRF: 1 every /api route and the logout are refused (403), whatever the method', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  const before = await sandboxCalls(keyfob);
  const paths = [
    ...[...keyfob.app.providers.values()].flatMap((adapter) =>
      adapter.routes.map((route) => [route.method, `/api/vehicles/${tesla.id}${route.path}`] as const),
    ),
    ['GET', '/api/vehicles'] as const,
    ['DELETE', `/api/vehicles/${tesla.id}`] as const,
    ['POST', '/auth/logout'] as const,
  ];
  for (const [method, path] of paths) {
    for (const header of [undefined, '0', 'true', '11', '1,1', '']) {
      const answer = await browser.request(method, path, {
        csrf: false,
        ...(header === undefined ? {} : { headers: { 'x-csrf': header } }),
        ...(method === 'POST' ? { body: {} } : {}),
      });
      assert.equal(answer.status, 403, `${method} ${path} with X-CSRF ${JSON.stringify(header)}`);
      assert.equal(answer.json.error, 'csrf_header_missing');
    }
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'nothing reached the provider');
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, true, 'the logout did not happen');
});

test('CORS: preflights and cross-origin calls never get Access-Control-Allow-* headers', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t);
  const tesla = byMake('TESLA');
  for (const path of [`/api/vehicles/${tesla.id}/odometer`, '/api/vehicles', '/auth/session', '/auth/logout', '/']) {
    const preflight = await fetch(`${keyfob.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-csrf, content-type',
      },
    });
    assert.ok(preflight.status >= 400 && preflight.status < 500, `OPTIONS ${path}: ${preflight.status}`);
    for (const name of preflight.headers.keys()) assert.ok(!name.startsWith('access-control-'), `${path}: ${name}`);
  }
  for (const answer of browser.seen) {
    for (const name of Object.keys(answer.headers)) assert.ok(!name.startsWith('access-control-'), name);
  }
});
