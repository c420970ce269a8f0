/**
 * Behind a load balancer that keeps idle upstream connections (AWS ALB 60 s, nginx, Envoy), Keyfob must not close
 * a connection the balancer is about to reuse. One client connection, reused after idling just under and just over
 * the old 5 s limit, and past the 10 s headers deadline: every request is answered on the same socket, none reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

test('an idle keep-alive connection is reused after 4.5, 5.5 and 11 s idle, on one socket, without a reset', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const sockets = new Set<unknown>();
  keyfob.app.server.on('connection', (socket) => sockets.add(socket));
  // One connection, kept by the client far longer than any idle time here (a load balancer's upstream pool).
  const agent = new Agent({ connections: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
  t.after(() => agent.close());
  const first = await request(`${keyfob.url}/healthz`, { dispatcher: agent });
  await first.body.text();
  assert.equal(first.headers['keep-alive'], 'timeout=75', 'the default, above the common balancers’ 60 s');
  for (const idleMs of [4_500, 5_500, 11_000]) {
    await sleep(idleMs);
    const answer = await request(`${keyfob.url}/healthz`, { dispatcher: agent });
    assert.equal(answer.statusCode, 200, `after ${idleMs} ms idle`);
    await answer.body.text();
  }
  assert.equal(sockets.size, 1, 'every request on the first connection');
});

test('KEEP_ALIVE_TIMEOUT_SECONDS sets the idle limit: past it the server closes the connection, and says so', async (t) => {
  const keyfob = await startKeyfobUnderTest(t, { KEEP_ALIVE_TIMEOUT_SECONDS: '2' });
  const sockets = new Set<unknown>();
  keyfob.app.server.on('connection', (socket) => sockets.add(socket));
  const agent = new Agent({ connections: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
  t.after(() => agent.close());
  const first = await request(`${keyfob.url}/healthz`, { dispatcher: agent });
  await first.body.text();
  // The header tells a client when the server will close: undici then retires the socket itself, in time.
  assert.equal(first.headers['keep-alive'], 'timeout=2');
  await sleep(3_000);
  const second = await request(`${keyfob.url}/healthz`, { dispatcher: agent });
  assert.equal(second.statusCode, 200);
  await second.body.text();
  assert.equal(sockets.size, 2, 'a new connection after the idle limit');
});
