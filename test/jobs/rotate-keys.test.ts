/**
 * Key rotation under load, starting from an installation upgraded from before per-user data keys: secrets sealed
 * under an old ring key, no data keys. Keyfob restarts with the ring "new,old"; rotation runs in tiny batches while
 * proxied traffic flows and a refresh happens in the middle. It moves every secret to its user's data key (both
 * formats decrypting meanwhile) and wraps every data key under the new key; afterwards Keyfob works with the old
 * key removed, and a second rotation re-wraps keys only, never a row of secrets.
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
import { sealUnderRing } from '../helpers/ring-sealed-secrets.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

const userSecrets = `SELECT access_token_enc AS value FROM grants WHERE access_token_enc IS NOT NULL
  UNION ALL SELECT refresh_token_enc FROM grants WHERE refresh_token_enc IS NOT NULL
  UNION ALL SELECT vin_enc FROM vehicles WHERE vin_enc IS NOT NULL`;

test('rotation moves secrets to data keys and re-wraps them under the new key while traffic and a refresh go on', async (t) => {
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
  // Its start-up move found the secrets already under data keys; now they are as an older Keyfob left them.
  await during.app.dataKeyMove.finished;
  const ringSealed = await sealUnderRing(during.app.db, during.app.vault);
  assert.ok(ringSealed >= 4, `${ringSealed} secrets under the ring`);
  await expireStoredAccessTokens(during); // also drops the cached lookups, so the traffic reads the ring format
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
    dataKeys: during.app.dataKeys,
    batchSize: 1,
    onBatch: () => new Promise((resolve) => setTimeout(resolve, 5)),
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  traffic = false;
  await load;
  assert.equal(report.remaining, 0);
  assert.ok(report.moved >= 2, `${report.moved} secrets moved (the VINs at least: a refresh rewrites tokens itself)`);
  assert.equal(report.rewrapped, 0, 'data keys made during the rotation are wrapped under the new key already');
  assert.ok(statuses.length > 10 && statuses.every((status) => status === 200), [...new Set(statuses)].join());
  assert.ok(sandbox.state.calls.get('token.refresh_token') >= 1, 'a refresh happened during the rotation');
  const rows = await during.app.db.$queryRawUnsafe<Array<{ value: string }>>(userSecrets);
  assert.ok(rows.length >= 4);
  assert.ok(
    rows.every((row) => row.value.startsWith('ku1.')),
    'every secret is under its user data key',
  );
  const keys = await during.app.db.userDataKey.findMany();
  assert.ok(keys.length >= 1 && keys.every((row) => row.kekId === 'new' && row.wrappedKey.startsWith('kv1.new.')));
  await during.close();

  // A second rotation, to a third key: one row per user changes, no secret does.
  const third = key('third');
  const later = await startKeyfobUnderTest(t, { ...base, TOKEN_ENCRYPTION_KEYS: `${third},${newKey}` }, database);
  const secretsBefore = await later.app.db.$queryRawUnsafe<Array<{ value: string }>>(userSecrets);
  const again = await rotateKeys({ db: later.app.db, vault: later.app.vault, dataKeys: later.app.dataKeys });
  assert.deepEqual(
    { moved: again.moved, rewrapped: again.rewrapped, remaining: again.remaining },
    {
      moved: 0,
      rewrapped: keys.length,
      remaining: 0,
    },
  );
  assert.deepEqual(await later.app.db.$queryRawUnsafe(userSecrets), secretsBefore, 'no secret was re-encrypted');
  await later.close();

  const after = await startKeyfobUnderTest(t, { ...base, TOKEN_ENCRYPTION_KEYS: third }, database);
  const withoutOldKeys = new Browser(after.url);
  for (const [name, value] of browser.cookies) withoutOldKeys.cookies.set(name, value);
  for (const vehicle of vehicles) {
    const answer = await withoutOldKeys.request('GET', `/api/vehicles/${vehicle.id}/odometer`);
    assert.equal(answer.status, 200, 'works with the old keys removed');
  }
  const nothingLeft = await rotateKeys({ db: after.app.db, vault: after.app.vault, dataKeys: after.app.dataKeys });
  assert.deepEqual([nothingLeft.moved, nothingLeft.rewrapped], [0, 0], 'a run with nothing to do does nothing');
});
