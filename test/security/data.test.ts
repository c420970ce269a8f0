/**
 * Attacks on data: another user's vehicle, and ciphertexts moved between rows by someone who can write to the
 * database. (That the database holds no plaintext token or full VIN is tested in test/e2e/no-leaks.test.ts.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ALEX_ACCOUNT, connectedBrowser, SAM_ACCOUNT, sandboxCalls } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

test("another user's vehicle id is a 404 indistinguishable from a vehicle that does not exist", async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const alex = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const sam = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  const samsVehicle = sam.byMake('FORD').id;
  const before = await sandboxCalls(keyfob);
  const visible = (answer: { status: number; headers: Headers; json: Record<string, unknown> }) => ({
    status: answer.status,
    body: { ...answer.json, requestId: undefined },
    headers: Object.fromEntries(
      [...answer.headers].filter(([name]) => !['date', 'content-length', 'x-request-id'].includes(name)),
    ),
  });
  for (const [method, path, body] of [
    ['GET', '/odometer', undefined],
    ['POST', '/security', { action: 'UNLOCK' }],
    ['DELETE', '', undefined],
  ] as const) {
    const other = await alex.browser.request(method, `/api/vehicles/${samsVehicle}${path}`, body ? { body } : {});
    const missing = await alex.browser.request(method, `/api/vehicles/${randomUUID()}${path}`, body ? { body } : {});
    assert.equal(other.status, 404, `${method} ${path}`);
    assert.deepEqual(visible(other), visible(missing), `${method} ${path}: the same answer, byte for byte`);
  }
  // Timing: both are one indexed query filtered by the signed-in user, so the owner is never consulted.
  const times = { other: [] as number[], missing: [] as number[] };
  for (let round = 0; round < 40; round++) {
    for (const kind of ['other', 'missing'] as const) {
      const id = kind === 'other' ? samsVehicle : randomUUID();
      const started = performance.now();
      await alex.browser.request('GET', `/api/vehicles/${id}/odometer`);
      times[kind].push(performance.now() - started);
    }
  }
  const gap = Math.abs(median(times.other) - median(times.missing));
  assert.ok(gap < Math.max(2, median(times.missing)), `medians differ by ${gap.toFixed(2)} ms`);
  assert.deepEqual(await sandboxCalls(keyfob), before, "Sam's vehicle was never touched");
  assert.equal((await sam.browser.request('GET', `/api/vehicles/${samsVehicle}/odometer`)).status, 200);
});

test("a grant's ciphertexts swapped into another user's row are refused: no token is ever used for the wrong user", async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const alex = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const sam = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  const grants = await keyfob.app.db.grant.findMany();
  const alexGrant = grants.find((grant) => grant.providerAccountId === ALEX_ACCOUNT);
  const samGrant = grants.find((grant) => grant.providerAccountId === SAM_ACCOUNT);
  assert.ok(alexGrant && samGrant);
  // Someone with write access to the table copies Sam's (valid) sealed tokens into Alex's grant.
  await keyfob.app.db.grant.update({
    where: { id: alexGrant.id },
    data: { accessTokenEnc: samGrant.accessTokenEnc, refreshTokenEnc: samGrant.refreshTokenEnc },
  });
  await keyfob.app.bus.publish({ kind: 'grant', id: alexGrant.id });
  const before = await sandboxCalls(keyfob);
  const answer = await alex.browser.request('GET', `/api/vehicles/${alex.byMake('TESLA').id}/odometer`);
  assert.equal(answer.status, 401);
  assert.equal(answer.json.error, 'reauth_required', 'Alex is asked to connect again');
  assert.deepEqual(await sandboxCalls(keyfob), before, "Sam's token never went upstream on Alex's request");
  assert.ok(
    keyfob.logs.some((line) => line.includes('a stored secret failed its integrity check')),
    'the tampering is logged as an error',
  );
  assert.equal((await sam.browser.request('GET', `/api/vehicles/${sam.byMake('FORD').id}/odometer`)).status, 200);
});
