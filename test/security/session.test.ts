/**
 * Attacks on the session cookie, beyond test/e2e (fixation: connect-flow; reuse after logout: token-lifecycle).
 * A cookie Keyfob did not sign, or signed for a session that is over, is no session at all: 401, never 5xx.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectedKeyfob } from '../helpers/connected.ts';

test('a tampered, unsigned, truncated or malformed session cookie is no session (401), never an error', async (t) => {
  const { keyfob, browser } = await connectedKeyfob(t);
  const [name, value] = [...browser.cookies][0] as [string, string];
  const dot = value.lastIndexOf('.');
  const [id, signature] = [value.slice(0, dot), value.slice(dot + 1)];
  const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
  const forged = [
    `${flip(id, 3)}.${signature}`,
    `${id}.${flip(signature, 5)}`,
    id,
    `${id}.`,
    `.${signature}`,
    `${id}.${signature}.${signature}`,
    `${id.slice(0, 10)}.${signature}`,
    '%',
    '%E0%A4%A',
    '',
    'undefined',
    '../../etc/passwd',
    `${'x'.repeat(4000)}.${signature}`,
    `s:${id}.${signature}`,
  ];
  for (const cookie of forged) {
    const answer = await fetch(`${keyfob.url}/api/vehicles`, {
      headers: { 'x-csrf': '1', cookie: `${name}=${cookie}` },
    });
    assert.equal(answer.status, 401, `cookie ${JSON.stringify(cookie.slice(0, 40))}`);
    assert.equal(((await answer.json()) as { error: string }).error, 'unauthenticated');
  }
  const real = await fetch(`${keyfob.url}/api/vehicles`, { headers: { 'x-csrf': '1', cookie: `${name}=${value}` } });
  assert.equal(real.status, 200, 'the real cookie still works');
});

test('oversized cookies: under the header limit they are ignored (401); over it, 431 with a JSON body', async (t) => {
  const { keyfob } = await connectedKeyfob(t);
  const big = await fetch(`${keyfob.url}/api/vehicles`, {
    headers: { 'x-csrf': '1', cookie: `junk=${'a'.repeat(12_000)}` },
  });
  assert.equal(big.status, 401);
  const huge = await fetch(`${keyfob.url}/api/vehicles`, {
    headers: { 'x-csrf': '1', cookie: `junk=${'a'.repeat(20_000)}` },
  });
  assert.equal(huge.status, 431);
  assert.equal(((await huge.json()) as { error: string }).error, 'headers_too_large');
  assert.equal((await fetch(`${keyfob.url}/healthz`)).status, 200, 'Keyfob keeps serving');
});

test('idle expiry: a session unused for longer than the idle timeout is over', async (t) => {
  const { browser } = await connectedKeyfob(t, { SESSION_IDLE_TIMEOUT_SECONDS: '2' });
  assert.equal((await browser.request('GET', '/api/vehicles')).status, 200);
  await sleep(2_500);
  const idle = await browser.request('GET', '/api/vehicles');
  assert.equal(idle.status, 401);
  assert.match(
    idle.headers.get('set-cookie') ?? '',
    /^keyfob=; Max-Age=0/,
    'the cookie of an ended session is cleared',
  );
  assert.equal(browser.cookies.size, 0);
  assert.equal((await browser.request('GET', '/auth/session')).json.authenticated, false);
});

test('absolute expiry: a session ends at its absolute timeout however active it is', async (t) => {
  const { browser } = await connectedKeyfob(t, {
    SESSION_IDLE_TIMEOUT_SECONDS: '2',
    SESSION_ABSOLUTE_TIMEOUT_SECONDS: '4',
  });
  const started = Date.now();
  const statuses: number[] = [];
  while (Date.now() - started < 5_000) {
    statuses.push((await browser.request('GET', '/api/vehicles')).status);
    await sleep(400);
  }
  assert.equal(statuses[0], 200, 'active within the idle timeout');
  assert.ok(statuses.filter((status) => status === 200).length >= 6, 'kept alive by activity past the idle timeout');
  assert.equal(statuses.at(-1), 401, 'then over at the absolute timeout');
  assert.deepEqual(
    statuses.slice(statuses.indexOf(401)),
    statuses.slice(statuses.indexOf(401)).map(() => 401),
    'and over for good',
  );
});
