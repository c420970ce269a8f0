/**
 * The grant's refresh lease (GrantRepository.takeRefreshLease and the fenced writes): one holder at a time, on the
 * database's clock; an expired lease can be taken over; and a holder whose lease was taken over can neither store
 * its pair over the newer one nor mark the grant `reauth_required`.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareDatabase } from '../../src/db/prepare-database.ts';
import { createPrismaClient } from '../../src/db/prisma-client.ts';
import { createGrantRepository } from '../../src/repositories/grants.ts';
import { createUserKeyRepository } from '../../src/repositories/user-keys.ts';
import { createUserRepository } from '../../src/repositories/users.ts';
import { createDataKeys } from '../../src/vault/data-keys.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const pair = (name: string) => ({
  accessToken: `access-${name}`,
  refreshToken: `refresh-${name}`,
  accessExpiresAt: new Date(Date.now() + 3_600_000),
  refreshExpiresAt: new Date(Date.now() + 86_400_000),
});

async function setup(t: TestContext) {
  const testDatabase = await createTestDatabase(t);
  const database = await prepareDatabase({
    databaseUrl: testDatabase.databaseUrl,
    directUrl: testDatabase.directUrl,
    dataDir: testDatabase.dataDir,
  });
  t.after(() => database.stop());
  const db = createPrismaClient(database);
  t.after(() => db.$disconnect());
  const vault = createTokenVault([{ id: 'k1', key: randomBytes(32) }]);
  const dataKeys = createDataKeys(vault);
  const grants = createGrantRepository(db, dataKeys, createUserKeyRepository(db, dataKeys, vault.currentKeyId));
  const account = 'lease-test-account';
  const userId = await createUserRepository(db).findOrCreateByIdentity(
    { kind: 'provider', issuer: 'smartcar', subject: account },
    undefined,
  );
  const grantId = await grants.create({
    userId,
    provider: 'smartcar',
    providerAccountId: account,
    scopes: [],
    tokens: pair('first'),
  });
  return { grants, grantId, userId };
}

test('one holder at a time; an expired lease is taken over; the stale holder stores and marks nothing', async (t) => {
  const { grants, grantId, userId } = await setup(t);
  const [a, b] = [randomUUID(), randomUUID()];
  const first = await grants.takeRefreshLease(grantId, a, 300);
  assert.equal(first.taken, true);
  assert.equal(first.grant?.refreshToken, 'refresh-first', 'the grant is read as the lease is taken');
  const refused = await grants.takeRefreshLease(grantId, b, 300);
  assert.equal(refused.taken, false, 'a live lease is not taken twice');
  assert.ok(refused.leaseLeftMs > 0 && refused.leaseLeftMs <= 300, `${refused.leaseLeftMs} ms left`);

  await sleep(400);
  const takeover = await grants.takeRefreshLease(grantId, b, 10_000);
  assert.equal(takeover.taken, true, 'an expired lease is taken over');
  const version = first.grant?.version ?? -1;
  assert.equal(
    await grants.storeRefreshed({ id: grantId, version, userId }, a, pair('stale')),
    false,
    'the stale holder stores nothing',
  );
  assert.equal(await grants.markReauthRequired(grantId, { version, holder: a }), false, 'nor marks the grant');
  assert.equal(await grants.storeRefreshed({ id: grantId, version, userId }, b, pair('newer')), true);
  const stored = await grants.findTokens(grantId);
  assert.equal(stored?.refreshToken, 'refresh-newer');
  assert.equal(stored?.status, 'active');
  assert.equal(stored?.version, version + 1);
  assert.equal(
    await grants.storeRefreshed({ id: grantId, version, userId }, a, pair('stale')),
    false,
    'nor later, at the old version',
  );
  assert.equal((await grants.takeRefreshLease(grantId, a, 300)).taken, true, 'the store ended the lease');
});

test('releasing is only for the holder; a grant that is not active gives no lease', async (t) => {
  const { grants, grantId } = await setup(t);
  const [a, b] = [randomUUID(), randomUUID()];
  assert.equal((await grants.takeRefreshLease(grantId, a, 10_000)).taken, true);
  assert.equal(await grants.releaseRefreshLease(grantId, b), false, 'another holder cannot end it');
  assert.equal((await grants.takeRefreshLease(grantId, b, 10_000)).taken, false);
  assert.equal(await grants.releaseRefreshLease(grantId, a), true);
  const version = (await grants.findTokens(grantId))?.version ?? -1;
  assert.equal((await grants.takeRefreshLease(grantId, b, 10_000)).taken, true);
  assert.equal(await grants.markReauthRequired(grantId, { version, holder: b }), true);
  const after = await grants.takeRefreshLease(grantId, a, 10_000);
  assert.equal(after.taken, false);
  assert.equal(after.grant?.status, 'reauth_required');
});
