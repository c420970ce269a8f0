/**
 * A Postgres primary and its streaming standby, made by the test with the real server binaries (initdb, and
 * pg_basebackup -R for the standby), on free loopback ports and scratch folders, run as the `postgres` user
 * (Postgres refuses root). `crashPrimary()` stops the primary at once (immediate shutdown: a crash);
 * `promoteStandby()` promotes the standby, as an operator or Patroni would once it has seen the primary gone.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { findBinary, run } from './server-process.ts';

const BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((dir) =>
  findBinary(join(dir, 'initdb')),
);

export function needsPostgresBinaries(t: TestContext): boolean {
  if (BIN && findBinary(join(BIN, 'pg_basebackup'))) return false;
  t.skip("needs Postgres's server binaries (initdb, pg_ctl, pg_basebackup): install Debian's postgresql package");
  return true;
}

function asPostgres() {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgresPair(t: TestContext) {
  const user = asPostgres();
  // Removed by the stop below, after the servers: test cleanups run in the order they were added.
  const root = await mkdtemp(join(tmpdir(), 'keyfob-pg-pair-'));
  await chmod(root, 0o755);
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const dirs = { primary: join(root, 'primary'), standby: join(root, 'standby') };
  for (const dir of [dirs.primary, dirs.standby]) {
    await mkdir(dir, { mode: 0o700 });
    if (user.uid !== undefined) await chown(dir, user.uid, user.gid as number);
  }
  const bin = (name: string) => join(BIN as string, name);
  const pgCtl = (dir: string, ...args: string[]) => run(bin('pg_ctl'), ['-D', dir, ...args], user);
  run(bin('initdb'), ['-D', dirs.primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], user);
  const options = (port: number, dir: string) =>
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c wal_level=replica ` +
    '-c max_wal_senders=5 -c fsync=off';
  pgCtl(dirs.primary, '-l', join(dirs.primary, 'log'), '-w', '-o', options(primaryPort, dirs.primary), 'start');
  t.after(() => {
    for (const dir of [dirs.primary, dirs.standby]) {
      try {
        pgCtl(dir, '-m', 'immediate', '-w', 'stop');
      } catch {
        // already stopped
      }
    }
    rmSync(root, { recursive: true, force: true });
  });
  run(
    bin('pg_basebackup'),
    ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', dirs.standby, '-R', '-X', 'stream'],
    user,
  );
  pgCtl(dirs.standby, '-l', join(dirs.standby, 'log'), '-w', '-o', options(standbyPort, dirs.standby), 'start');
  const url = (port: number, database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    primaryPort,
    standbyPort,
    url,
    /** Runs SQL on one of the two servers. */
    async query(port: number, text: string) {
      const client = new pg.Client({ connectionString: url(port) });
      await client.connect();
      try {
        return (await client.query(text)).rows;
      } finally {
        await client.end();
      }
    },
    crashPrimary() {
      pgCtl(dirs.primary, '-m', 'immediate', '-w', 'stop');
    },
    /** Resolves once the promoted standby takes writes. */
    promoteStandby() {
      pgCtl(dirs.standby, '-w', 'promote');
    },
  };
}
