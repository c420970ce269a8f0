/**
 * Abuse: rate limits per client IP and per session on /auth and /api, slow and huge clients, and the security
 * headers on every answer. The rate-limit tests give their clients addresses of their own (X-Forwarded-For
 * behind TRUST_PROXY), since the counters live in the Redis every test file shares.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const clientAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function rateLimitedCount(keyfob: { url: string }, area: string, key: string): Promise<number> {
  const text = await (await fetch(`${keyfob.url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`keyfob_rate_limited_total{area="${area}",key="${key}"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('per-IP limits on /api and /auth: 429 with retry-after and a JSON body; other addresses unaffected', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, {
    TRUST_PROXY: 'true',
    RATE_LIMIT_API_PER_IP: '8',
    RATE_LIMIT_AUTH_PER_IP: '6',
  });
  // Every client here has an address of its own: 127.0.0.1's counters are shared with every other test file.
  const browser = new Browser(keyfob.url);
  browser.defaultHeaders['x-forwarded-for'] = clientAddress();
  await browser.connect({ account: ALEX_ACCOUNT });
  const flooding = clientAddress();
  browser.defaultHeaders['x-forwarded-for'] = flooding;
  const api = [];
  for (let i = 0; i < 10; i++) api.push(await browser.request('GET', '/api/vehicles'));
  assert.deepEqual(
    api.map((answer) => answer.status),
    [200, 200, 200, 200, 200, 200, 200, 200, 429, 429],
  );
  const limited = api.at(-1);
  assert.equal(limited?.json.error, 'rate_limited');
  const retryAfter = Number(limited?.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
  assert.equal(limited?.json.retryAfterSeconds, retryAfter);
  const auth = [];
  for (let i = 0; i < 8; i++) auth.push((await browser.request('GET', '/auth/session')).status);
  assert.deepEqual(auth, [200, 200, 200, 200, 200, 200, 429, 429], '/auth counts on its own');
  browser.defaultHeaders['x-forwarded-for'] = clientAddress();
  assert.equal((await browser.request('GET', '/api/vehicles')).status, 200, 'another address is not limited');
  assert.equal(await rateLimitedCount(keyfob, 'api', 'ip'), 2);
  assert.equal(await rateLimitedCount(keyfob, 'auth', 'ip'), 2);
});

test('per-session limits: one session over its allowance is refused while another on the same address is not', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, {
    TRUST_PROXY: 'true',
    RATE_LIMIT_API_PER_SESSION: '5',
    RATE_LIMIT_AUTH_PER_SESSION: '4',
  });
  const shared = clientAddress();
  const first = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const second = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  first.browser.defaultHeaders['x-forwarded-for'] = shared;
  second.browser.defaultHeaders['x-forwarded-for'] = shared;
  const statuses = [];
  for (let i = 0; i < 7; i++) statuses.push((await first.browser.request('GET', '/api/vehicles')).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  assert.equal((await second.browser.request('GET', '/api/vehicles')).status, 200, 'the other session is not limited');
  const auth = [];
  for (let i = 0; i < 4; i++) auth.push((await second.browser.request('GET', '/auth/session')).status);
  assert.ok(auth.includes(429), `the /auth allowance is per session too: ${auth}`);
  assert.equal(await rateLimitedCount(keyfob, 'api', 'session'), 2);
});

/** Writes `chunks` on a socket one by one, `gapMs` apart, until the server answers or closes. */
function trickle(url: string, chunks: string[], gapMs: number): Promise<{ answer: string; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    let index = 0;
    const timer = setInterval(() => {
      if (index < chunks.length) socket.write(chunks[index++] as string);
    }, gapMs);
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, ms: Date.now() - started });
    });
  });
}

test('slow clients (headers or body dribbled in) are cut off with 408 at the request timeout', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { REQUEST_TIMEOUT_SECONDS: '2' });
  const slowHeaders = [
    'GET /healthz HTTP/1.1\r\n',
    'Host: x\r\n',
    ...Array.from({ length: 100 }, (_, i) => `X-${i}: y\r\n`),
  ];
  const headers = await trickle(keyfob.url, slowHeaders, 300);
  assert.match(headers.answer, /^HTTP\/1\.1 408/);
  assert.match(headers.answer, /"error":"request_timeout"/);
  assert.ok(headers.ms < 8_000, `cut off after ${headers.ms} ms, not after 100 header lines`);
  const slowBody = [
    'POST /auth/logout HTTP/1.1\r\nHost: x\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    ...Array.from({ length: 100 }, () => ' '),
  ];
  const body = await trickle(keyfob.url, slowBody, 300);
  assert.match(body.answer, /^HTTP\/1\.1 408/);
  assert.ok(body.ms < 8_000, `cut off after ${body.ms} ms`);
  assert.equal((await fetch(`${keyfob.url}/healthz`)).status, 200, 'Keyfob keeps serving');
});

test('security headers on every answer; no-store on every /auth and /api answer; HSTS only over https', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const { browser } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  await browser.request('GET', '/');
  await browser.request('GET', '/app.js');
  await browser.request('GET', '/api/vehicles');
  await browser.request('GET', '/api/vehicles', { csrf: false });
  await browser.request('GET', '/api/nowhere');
  await browser.request('GET', '/auth/session');
  await browser.request('GET', '/auth/nowhere');
  await browser.request('GET', '/auth/callback?state=forged&code=x', { csrf: false });
  await browser.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  await new Browser(keyfob.url).request('GET', '/api/vehicles');
  for (const answer of browser.seen) {
    const where = `${answer.status} ${answer.url}`;
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', where);
    assert.equal(answer.headers['referrer-policy'], 'no-referrer', where);
    assert.match(answer.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, where);
    assert.equal(answer.headers['strict-transport-security'], undefined, `${where}: no HSTS over http`);
    const path = new URL(answer.url).pathname;
    if (path.startsWith('/api') || path.startsWith('/auth')) {
      assert.equal(answer.headers['cache-control'], 'no-store', where);
      assert.match(answer.headers['content-security-policy'] ?? '', /^default-src 'none'/, `${where}: loads nothing`);
    } else {
      assert.match(answer.headers['content-security-policy'] ?? '', /default-src 'self'/, where);
      assert.match(answer.headers['content-security-policy'] ?? '', /script-src 'self'/, where);
    }
  }
  const https = await startKeyfobUnderTest(t, { PUBLIC_URL: 'https://cars.example.com' });
  for (const path of ['/healthz', '/api/vehicles', '/auth/session']) {
    const secure = await fetch(`${https.url}${path}`);
    assert.match(secure.headers.get('strict-transport-security') ?? '', /max-age=31536000/, path);
  }
});
