/**
 * Debian's PgBouncer in transaction mode in front of the machine's Postgres, as the README's "Outgrowing one
 * machine" runs it: every database of that server reachable through it, any user let through (Postgres checks
 * them), pools per database. PgBouncer refuses to run as root, so it drops to the `postgres` user (`-u`).
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { findBinary, scratchDir, startServer } from './server-process.ts';

export const PGBOUNCER = findBinary('/usr/sbin/pgbouncer', '/usr/bin/pgbouncer');

export async function startPgBouncer(t: TestContext, serverUrl: string) {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = await scratchDir(t, 'pgbouncer');
  await chmod(dir, 0o777);
  const config = join(dir, 'pgbouncer.ini');
  await writeFile(
    config,
    [
      '[databases]',
      // auth_type any needs the user forced here; Postgres trusts it on this machine (use auth_file in production).
      `* = host=${server.hostname} port=${server.port || 5432} user=${server.username || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      'max_client_conn = 2000',
      'default_pool_size = 20',
      // A client whose database is gone (dropped by a test's cleanup) gets an error soon, not after two minutes.
      'query_wait_timeout = 10',
      'server_login_retry = 1',
      `admin_users = ${server.username || 'postgres'}`,
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  await chmod(config, 0o644);
  const url = new URL(serverUrl);
  url.port = String(port);
  const asRoot = process.getuid?.() === 0;
  await startServer(
    t,
    `pgbouncer :${port}`,
    PGBOUNCER as string,
    [...(asRoot ? ['-u', 'postgres'] : []), config],
    async () => {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.end();
      return true;
    },
  );
  /** PgBouncer's own statistics (SHOW STATS), summed over databases: proof the traffic went through it. */
  const stats = async () => {
    const admin = new URL(url);
    admin.pathname = '/pgbouncer';
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      const { rows } = await client.query('SHOW STATS');
      return rows.reduce(
        (sum, row) => ({
          transactions: sum.transactions + Number(row.total_xact_count),
          queries: sum.queries + Number(row.total_query_count),
        }),
        { transactions: 0, queries: 0 },
      );
    } finally {
      await client.end();
    }
  };
  return { url: url.toString(), port, stats };
}
