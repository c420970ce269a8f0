import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oauth from 'openid-client';
import { prepareDatabase } from '../../src/db/prepare-database.ts';
import { createPrismaClient } from '../../src/db/prisma-client.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { type AppTokenRequest, createAppTokens } from '../../src/tokens/app-tokens.ts';
import { createLeaseWaits } from '../../src/tokens/lease-waits.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const CLIENT_ID = 'app-token-client';

async function setup(t: TestContext, settings = {}) {
  const secret = randomBytes(12).toString('hex');
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId: CLIENT_ID, secrets: [secret], redirectUris: [] }],
    settings,
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  const testDatabase = await createTestDatabase(t);
  const database = await prepareDatabase({
    databaseUrl: testDatabase.databaseUrl,
    directUrl: testDatabase.directUrl,
    dataDir: testDatabase.dataDir,
  });
  t.after(() => database.stop());
  const vault = createTokenVault([{ id: 'k1', key: randomBytes(32) }]);
  const iam = new oauth.Configuration(
    { issuer: sandbox.url, token_endpoint: `${sandbox.url}/oauth2/token` },
    CLIENT_ID,
    undefined,
    oauth.ClientSecretPost(secret),
  );
  oauth.allowInsecureRequests(iam);
  /** An instance's token manager: its own memory and single flight, the shared database. */
  const instance = () => {
    const db = createPrismaClient(database);
    t.after(() => db.$disconnect());
    return createAppTokens({
      db,
      vault,
      fetchToken: async (request) => {
        const answer = await oauth.clientCredentialsGrant(iam, { scope: request.scopes.join(' ') });
        return { accessToken: answer.access_token, expiresInSeconds: answer.expires_in ?? 3600 };
      },
      leaseMs: 10_000,
      // No bus between these instances: waiters on another instance rely on the polling fallback.
      leaseWaits: createLeaseWaits(null),
    });
  };
  const request = (scopes: string[]): AppTokenRequest => ({
    tokenEndpoint: `${sandbox.url}/oauth2/token`,
    clientId: CLIENT_ID,
    scopes,
  });
  const scopeOf = (token: string) => {
    const record = sandbox.state.tokens.authenticateApp(token);
    return typeof record === 'object' ? record.scope : record;
  };
  return { sandbox, instance, request, scopeOf, embedded: database.embedded };
}

test('racing requests for different scope sets each get a token of their own scope, one fetch per set', async (t) => {
  const { sandbox, instance, request, scopeOf } = await setup(t);
  const tokens = instance();
  const asks = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0
      ? ['vehicle:data', 'fleet:clearance']
      : i % 3 === 1
        ? ['fleet:clearance', 'vehicle:data']
        : ['vehicle:data'],
  );
  const results = await Promise.all(asks.map((scopes) => tokens.get(request(scopes))));
  results.forEach((token, i) => {
    const expected = [...new Set(asks[i])].sort().join(' ');
    assert.equal(scopeOf(token), expected, `request ${i} got a token for its own scope set`);
  });
  assert.equal(new Set(results).size, 2, 'one token per scope set (order does not matter)');
  assert.equal(sandbox.state.calls.get('app_token.client_credentials'), 2);
  assert.equal(await tokens.get(request(['vehicle:data'])), results[2], 'served from the cache afterwards');
  assert.equal(sandbox.state.calls.get('app_token.client_credentials'), 2);
});

test('several instances: one request to the token endpoint per key, the others read the stored token', async (t) => {
  const { sandbox, instance, request, embedded } = await setup(t);
  if (embedded) {
    t.skip('needs DATABASE_URL: instances share a Postgres; the embedded database is one process');
    return;
  }
  sandbox.state.faults.add('app_token', { kind: 'slow', delayMs: 500 }, 1);
  const managers = [instance(), instance(), instance()];
  const results = await Promise.all(
    managers.flatMap((manager) => Array.from({ length: 10 }, () => manager.get(request(['x'])))),
  );
  assert.equal(new Set(results).size, 1);
  assert.equal(sandbox.state.calls.get('app_token.client_credentials'), 1);
});

test('a token is renewed before it expires, and a refused one is replaced', async (t) => {
  const { sandbox, instance, request } = await setup(t, { appTokenTtlSeconds: 61 });
  const tokens = instance();
  const first = await tokens.get(request([]));
  await sleep(1100); // 61 s lifetime, renewed in its last 60 s: after one second it is due
  const second = await tokens.get(request([]));
  assert.notEqual(second, first);
  assert.equal(sandbox.state.calls.get('app_token.client_credentials'), 2);
  await tokens.invalidate(request([]), second);
  const third = await tokens.get(request([]));
  assert.notEqual(third, second);
  assert.equal(sandbox.state.calls.get('app_token.client_credentials'), 3);
});
