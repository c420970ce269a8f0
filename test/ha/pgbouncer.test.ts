/**
 * PgBouncer in transaction mode with the real server (Debian's pgbouncer): the Postgres tests of sessions, refresh
 * locking (leases, several instances, a slow provider), webhooks and vehicle status, token lifecycle and the
 * migrations run again with DATABASE_URL pointing at PgBouncer, and DATABASE_DIRECT_URL straight at Postgres for
 * what needs a session of its own (migrations hold an advisory lock for their whole run). Keyfob uses no other
 * session-level feature: no LISTEN/NOTIFY, no SET, no named prepared statements.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { PGBOUNCER, startPgBouncer } from '../helpers/pgbouncer.ts';

/** The Postgres-backed tests that exercise what a transaction-mode pooler could break. */
const THROUGH_PGBOUNCER = [
  'test/db/migrations.test.ts',
  'test/tokens/refresh-lease.test.ts',
  'test/tokens/app-tokens.test.ts',
  'test/e2e/token-lifecycle.test.ts',
  'test/e2e/multi-instance-refresh.test.ts',
  'test/webhooks/smartcar-webhooks.test.ts',
  'test/webhooks/vehicle-errors.test.ts',
  'test/webhooks/webhooks-across-instances.test.ts',
  'test/erasure/account-erasure.test.ts',
  'test/repositories/audit-retry.test.ts',
];

test('the Postgres tests of sessions, refresh locking, webhooks and migrations pass through PgBouncer in transaction mode', async (t) => {
  const direct = process.env.DATABASE_URL;
  if (!PGBOUNCER || !direct) {
    t.skip(
      !PGBOUNCER
        ? "pgbouncer is missing: install Debian's pgbouncer package (.ci/run does)"
        : 'needs DATABASE_URL: PgBouncer is put in front of that Postgres',
    );
    return;
  }
  if (process.env.DATABASE_DIRECT_URL) {
    t.skip('already running through PgBouncer (DATABASE_DIRECT_URL is set)');
    return;
  }
  const bouncer = await startPgBouncer(t, direct);
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=dot', ...THROUGH_PGBOUNCER],
      {
        env: {
          ...process.env,
          // A test runner of its own, not a child reporting to this one.
          NODE_TEST_CONTEXT: undefined,
          DATABASE_URL: bouncer.url,
          DATABASE_DIRECT_URL: direct,
          KEYFOB_ANSWER_LOG: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      text += String(chunk);
    });
    child.once('exit', (exit) => resolve({ code: exit, output: text }));
  });
  const stats = await bouncer.stats();
  t.diagnostic(
    `${THROUGH_PGBOUNCER.length} test files through PgBouncer (transaction mode) in ${Date.now() - started} ms: ` +
      `${stats.transactions} transactions, ${stats.queries} queries pooled`,
  );
  assert.equal(code, 0, `the tests through PgBouncer failed:\n${output.slice(-6000)}`);
  assert.ok(stats.transactions > 1_000, 'the traffic went through PgBouncer');
});
