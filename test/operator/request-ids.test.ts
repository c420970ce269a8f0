/**
 * Every log line written while serving a request carries that request's id, including the lines of services
 * shared by many requests (the token refresh, the repositories), so an operator can follow one request through.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedKeyfob, expireStoredAccessTokens, sandboxControl } from '../helpers/connected.ts';

test('every log line of a request carries its request id', async (t) => {
  const { keyfob, browser, byMake } = await connectedKeyfob(t, { LOG_LEVEL: 'debug' });
  const from = keyfob.logs.length;
  const tesla = byMake('TESLA').id;
  await expireStoredAccessTokens(keyfob);
  await browser.request('GET', `/api/vehicles/${tesla}/odometer`); // a refresh
  await sandboxControl(keyfob, 'faults', { target: 'token', kind: 'error', status: 500, count: 1 });
  await expireStoredAccessTokens(keyfob);
  await browser.request('GET', `/api/vehicles/${tesla}/odometer`); // a failed refresh
  await browser.request('GET', `/api/vehicles/${tesla}/odometer`, { csrf: false });
  await browser.request('POST', `/api/vehicles/${tesla}/security`, { body: { action: 'NOPE' } });
  await browser.request('GET', '/auth/callback?state=forged&code=x', { csrf: false });
  await browser.request('POST', '/auth/logout');
  await keyfob.app.repos.audit.flush();
  const lines = keyfob.logs.slice(from).map((line) => JSON.parse(line) as { reqId?: string; msg: string });
  const requestLines = lines.filter((line) => line.msg === 'request completed');
  assert.ok(requestLines.length >= 6);
  const withoutId = lines.filter((line) => !line.reqId);
  assert.deepEqual(withoutId, [], 'no line without a request id');
  const ids = new Set(requestLines.map((line) => line.reqId));
  const serviceLines = lines.filter((line) => line.msg !== 'request completed');
  assert.ok(serviceLines.length > 0, 'services logged too');
  for (const line of serviceLines) assert.ok(ids.has(line.reqId), `"${line.msg}" names a request that was served`);
});
