/**
 * The audit writer loses nothing to a database outage of seconds: a batch that fails is kept and written again
 * once the database is back; the buffer is bounded, and what it must drop (the oldest) is counted and logged.
 * The database is taken away through a TCP relay in front of the real Postgres.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { prepareDatabase } from '../../src/db/prepare-database.ts';
import { createDatabase } from '../../src/db/prisma-client.ts';
import { type AuditInput, createAuditRepository, MAX_BUFFERED } from '../../src/repositories/audit.ts';
import { startTcpRelay } from '../helpers/tcp-relay.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

const event = (n: number): AuditInput => ({
  userId: null,
  vehicleId: null,
  clientId: 'dashboard',
  action: 'proxy',
  endpoint: '/api/vehicles/:vehicleId/odometer',
  method: 'GET',
  status: 200,
  outcome: 'ok',
  requestId: `req-${n}`,
});

test('a failed audit batch is written once the database is back; past the bound the oldest are dropped and counted', async (t) => {
  if (!process.env.DATABASE_URL) {
    t.skip('needs DATABASE_URL: the test cuts a TCP relay to Postgres; the embedded PGlite runs inside the process');
    return;
  }
  const testDatabase = await createTestDatabase(t);
  const databaseUrl = testDatabase.databaseUrl as string;
  const prepared = await prepareDatabase({
    databaseUrl,
    directUrl: testDatabase.directUrl,
    dataDir: testDatabase.dataDir,
  });
  t.after(() => prepared.stop());
  const target = new URL(databaseUrl);
  const relay = await startTcpRelay(t, { host: target.hostname, port: Number(target.port) });
  const { db, pool } = createDatabase({ connectionString: relay.url(databaseUrl) });
  t.after(() => db.$disconnect().catch(() => undefined));
  const counts: Record<string, number> = {};
  const logged: string[] = [];
  const log = { warn: (_o: object, m: string) => logged.push(m), error: (_o: object, m: string) => logged.push(m) };
  const audit = createAuditRepository(db, pool, log, (result, events) => {
    counts[result] = (counts[result] ?? 0) + events;
  });
  t.after(() => audit.close());

  await relay.cut();
  for (let n = 0; n < MAX_BUFFERED + 5; n++) audit.enqueue(event(n));
  await audit.record(event(-1)); // an immediate write that fails is kept too
  await audit.flush();
  assert.ok((counts.retried ?? 0) > 0, 'the failed batch is kept for a retry');
  assert.equal(counts.dropped, 6, 'past the bound, the oldest events are dropped and counted');
  assert.ok(logged.includes('audit events dropped: the retry buffer is full'));
  assert.equal(audit.pending(), MAX_BUFFERED);

  await relay.restore();
  const deadline = Date.now() + 20_000;
  while (audit.pending() > 0 && Date.now() < deadline) await sleep(100);
  await audit.flush();
  const direct = new pg.Client({ connectionString: databaseUrl });
  // The test database is dropped WITH (FORCE) at the end, which may cut this connection first.
  direct.on('error', () => undefined);
  await direct.connect();
  t.after(() => direct.end());
  const { rows } = await direct.query('SELECT request_id FROM audit_events');
  assert.equal(rows.length, MAX_BUFFERED, 'every kept event is written once the database is back');
  const written = new Set(rows.map((row) => row.request_id));
  assert.ok(written.has('req--1') && written.has(`req-${MAX_BUFFERED + 4}`), 'the newest are among them');
  const missing = [...Array(MAX_BUFFERED + 5).keys()].map((n) => `req-${n}`).filter((id) => !written.has(id));
  assert.ok(!written.has('req-0'), `the oldest were the ones dropped, not ${missing.join()}`);
});

test('an audit batch written again after an ambiguous failure adds no copy (one event per request and action)', async (t) => {
  const testDatabase = await createTestDatabase(t);
  const prepared = await prepareDatabase({
    databaseUrl: testDatabase.databaseUrl,
    directUrl: testDatabase.directUrl,
    dataDir: testDatabase.dataDir,
  });
  t.after(() => prepared.stop());
  const { db, pool } = createDatabase({ connectionString: prepared.connectionString, maxPoolSize: 1 });
  t.after(() => db.$disconnect().catch(() => undefined));
  const log = { warn: () => undefined, error: () => undefined };
  const audit = createAuditRepository(db, pool, log, () => undefined);
  t.after(() => audit.close());
  // The same batch twice: what a retry sends when the first commit reached the database but its answer did not.
  for (const n of [1, 2, 3]) audit.enqueue(event(n));
  await audit.flush();
  for (const n of [1, 2, 3]) audit.enqueue(event(n));
  audit.enqueue({ ...event(3), action: 'logout' });
  await audit.flush();
  const rows = await db.auditEvent.findMany({ orderBy: { id: 'asc' }, select: { requestId: true, action: true } });
  assert.deepEqual(
    rows.map((row) => `${row.requestId} ${row.action}`),
    ['req-1 proxy', 'req-2 proxy', 'req-3 proxy', 'req-3 logout'],
  );
});
