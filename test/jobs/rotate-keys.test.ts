/**
 * Key rotation under load: data written under an old key, Keyfob restarted with the ring "new,old", rotation run
 * in tiny batches while proxied traffic flows and a refresh happens in the middle; afterwards every secret is
 * under the new key and Keyfob works with the old key removed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { rotateKeys } from '../../src/jobs/rotate-keys.ts';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT, expireStoredAccessTokens } from '../helpers/connected.ts';
import { externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

test('rotation re-encrypts everything under the new key while traffic and a refresh go on', async (t) => {
  if (!process.env.REDIS_URL) {
    t.skip('needs REDIS_URL: Keyfob restarts with the new key ring, and in-memory sessions do not survive a restart');
    return;
  }
  const database = await createTestDatabase(t);
  const port = await freePort();
  const { env: providerEnv, sandbox } = await externalSandbox(t, `http://127.0.0.1:${port}`);
  const oldKey = key('old');
  const newKey = key('new');
  const base = { ...providerEnv, PORT: String(port), SESSION_SECRET: randomBytes(32).toString('base64url') };

  const before = await startKeyfobUnderTest(t, { ...base, TOKEN_ENCRYPTION_KEYS: oldKey }, database);
  const browser = new Browser(before.url);
  await browser.connect({ account: ALEX_ACCOUNT });
  const vehicles = (await browser.request('GET', '/api/vehicles')).json.vehicles as Array<{ id: string }>;
  await before.close();

  const during = await startKeyfobUnderTest(t, { ...base, TOKEN_ENCRYPTION_KEYS: `${newKey},${oldKey}` }, database);
  const statuses: number[] = [];
  let traffic = true;
  const load = (async () => {
    for (let i = 0; traffic; i++) {
      if (i === 5) await expireStoredAccessTokens(during); // a refresh in the middle of the rotation
      const answers = await Promise.all(vehicles.map((v) => browser.request('GET', `/api/vehicles/${v.id}/odometer`)));
      statuses.push(...answers.map((a) => a.status));
    }
  })();
  const report = await rotateKeys({
    db: during.app.db,
    vault: during.app.vault,
    batchSize: 1,
    onBatch: () => new Promise((resolve) => setTimeout(resolve, 5)),
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  traffic = false;
  await load;
  assert.equal(report.remaining, 0);
  assert.ok((report.reencrypted['vehicles.vin_enc'] ?? 0) >= 2);
  assert.ok(statuses.length > 10 && statuses.every((status) => status === 200), [...new Set(statuses)].join());
  assert.ok(sandbox.state.calls.get('token.refresh_token') >= 1, 'a refresh happened during the rotation');
  const rows = await during.app.db.$queryRawUnsafe<Array<{ value: string }>>(
    `SELECT access_token_enc AS value FROM grants WHERE access_token_enc IS NOT NULL
     UNION ALL SELECT refresh_token_enc FROM grants WHERE refresh_token_enc IS NOT NULL
     UNION ALL SELECT vin_enc FROM vehicles WHERE vin_enc IS NOT NULL`,
  );
  assert.ok(rows.length >= 4);
  assert.ok(rows.every((row) => row.value.startsWith('kv1.new.')));
  await during.close();

  const after = await startKeyfobUnderTest(t, { ...base, TOKEN_ENCRYPTION_KEYS: newKey }, database);
  const withoutOldKey = new Browser(after.url);
  for (const [name, value] of browser.cookies) withoutOldKey.cookies.set(name, value);
  for (const vehicle of vehicles) {
    const answer = await withoutOldKey.request('GET', `/api/vehicles/${vehicle.id}/odometer`);
    assert.equal(answer.status, 200, 'works with the old key removed');
  }
  const again = await rotateKeys({ db: after.app.db, vault: after.app.vault });
  assert.deepEqual(Object.values(again.reencrypted), [0, 0, 0], 'a second run has nothing to do');
});
