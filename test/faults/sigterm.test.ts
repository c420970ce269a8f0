/**
 * SIGTERM under load, to a Keyfob process with requests in flight and a refresh whose answer the provider is
 * still sending: the in-flight requests finish, new ones are refused cleanly (connection refused, or 503 on a
 * connection already open), the refresh is stored before the process exits, and a fresh instance carries on with
 * the stored pair in strict reuse mode (an older refresh token would have revoked the grant).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from '../helpers/browser.ts';
import { cluster, needsServers, storedIsNewest } from '../helpers/keyfob-cluster.ts';
import { spawnKeyfob } from '../helpers/keyfob-process.ts';

test('SIGTERM under load: in-flight requests and a refresh finish, new requests are refused cleanly', async (t) => {
  if (needsServers(t)) return;
  const { sandbox, clientSecret, processes, browsers, tesla, expireAccessToken, stored, refreshCalls, env, ports } =
    await cluster(t, 1, 0);
  const [instance] = processes;
  const [browser] = browsers as [Browser];
  assert.ok(instance);
  await expireAccessToken();
  // The provider processes the refresh at once but takes 1.5 s to deliver the answer; the API is slow too.
  sandbox.state.faults.add('token', { kind: 'slow_answer', delayMs: 1_500 }, 1);
  sandbox.state.faults.add('api', { kind: 'slow', delayMs: 800 }, 20);
  const inFlight = Array.from({ length: 20 }, () => browser.request('GET', `/api/vehicles/${tesla}/odometer`));
  await sleep(400);
  instance.child.kill('SIGTERM');
  await sleep(100);
  const refused: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      const late = await browser.request('GET', `/api/vehicles/${tesla}/odometer`);
      refused.push(`${late.status} ${late.json?.error ?? ''}`);
    } catch (error) {
      refused.push(((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).message);
    }
  }
  const answers = await Promise.all(inFlight);
  assert.deepEqual(
    answers.map((answer) => answer.status),
    answers.map(() => 200),
    'every request in flight at SIGTERM was answered',
  );
  for (const outcome of refused) {
    assert.match(outcome, /^(ECONNREFUSED|ECONNRESET|503 )/, `a request after SIGTERM: ${outcome}`);
  }
  assert.equal(await instance.exited, 0, 'a clean exit');
  assert.equal(refreshCalls(), 1, 'one refresh');
  const afterShutdown = await stored();
  assert.equal(afterShutdown.status, 'active');
  assert.ok(
    await storedIsNewest(sandbox.url, clientSecret, afterShutdown.refreshToken),
    'the refresh answered during the shutdown was stored before exit',
  );
  // A fresh instance on the same database and Redis: the session and the stored access token carry on.
  const restarted = await spawnKeyfob(t, ports[0] as number, env);
  const again = new Browser(restarted.url);
  for (const [name, value] of browser.cookies) again.cookies.set(name, value);
  assert.equal((await again.request('GET', `/api/vehicles/${tesla}/odometer`)).status, 200, 'the session survives');
});
