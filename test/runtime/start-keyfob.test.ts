import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startKeyfob } from '../../src/runtime/start-keyfob.ts';
import { logCollector, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

/** A quiet Keyfob environment on free ports over the given database. */
function quietEnv(database: TestDatabase): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    SANDBOX_PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: database.dataDir,
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
  };
}

test('GET /healthz answers 200 and the sandbox provider is up beside it', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const health = await fetch(`${keyfob.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.ok(keyfob.sandbox);
  assert.equal((await fetch(`${keyfob.sandbox.url}/`)).status, 200);
});

test('an unknown route is a JSON 404 that does not echo the query string', async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const response = await fetch(`${keyfob.url}/no/such/route?code=SECRET-CODE`);
  assert.equal(response.status, 404);
  const body = (await response.json()) as Record<string, string>;
  assert.equal(body.error, 'not_found');
  assert.ok(!JSON.stringify(body).includes('SECRET-CODE'));
  assert.ok(!keyfob.logs.join('').includes('SECRET-CODE'), 'nor does the log');
});

test('data survives a restart on the same database', async (t) => {
  const database = await createTestDatabase(t);
  const env = quietEnv(database);
  const id = randomUUID();
  const first = await startKeyfob({ env, logStream: logCollector().stream });
  await first.app.db.user.create({
    data: {
      id,
      identities: { create: { id: randomUUID(), kind: 'provider', issuer: 'smartcar', subject: 'restart-test' } },
    },
  });
  await first.close();
  const second = await startKeyfob({ env, logStream: logCollector().stream });
  t.after(() => second.close());
  const found = await second.app.db.user.findUnique({ where: { id }, include: { identities: true } });
  assert.equal(found?.identities[0]?.subject, 'restart-test');
});

test('a database that drifted from the schema stops start-up with the differences', async (t) => {
  const database = await createTestDatabase(t);
  const env = quietEnv(database);
  const first = await startKeyfob({ env, logStream: logCollector().stream });
  await first.app.db.$executeRawUnsafe('ALTER TABLE vehicles DROP COLUMN vin_last4');
  await first.close();
  await assert.rejects(startKeyfob({ env, logStream: logCollector().stream }), /"vehicles"."vin_last4" is missing/);
});
