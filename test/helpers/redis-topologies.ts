/**
 * Redis as a team outgrowing one machine runs it, with the real servers (Debian's redis-server and
 * redis-sentinel): a primary, a replica and three sentinels; or a Redis Cluster of three primaries. Each on free
 * loopback ports and scratch folders, gone with the test. `env` is what Keyfob is started with to use it.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { findBinary, run, runAsync, type ServerProcess, scratchDir, startServer } from './server-process.ts';

export const REDIS_SERVER = findBinary('/usr/bin/redis-server');
export const REDIS_SENTINEL = findBinary('/usr/bin/redis-sentinel');
const REDIS_CLI = findBinary('/usr/bin/redis-cli');
export const SENTINEL_NAME = 'keyfob';

/** Skips the test, saying why, where the binaries are missing. */
export function needsRedisBinaries(t: TestContext, sentinel: boolean): boolean {
  const missing = [
    ...(REDIS_SERVER ? [] : ['redis-server']),
    ...(REDIS_CLI ? [] : ['redis-cli']),
    ...(sentinel && !REDIS_SENTINEL ? ['redis-sentinel'] : []),
  ];
  if (missing.length > 0) {
    t.skip(`needs ${missing.join(', ')}: install Debian's redis-server and redis-sentinel (.ci/run does)`);
    return true;
  }
  if (!process.env.DATABASE_URL) {
    t.skip('needs DATABASE_URL: the two Keyfob instances under test share one Postgres');
    return true;
  }
  return false;
}

async function answers(port: number, ...command: string[]): Promise<string> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return String(await client.call(command[0] as string, ...command.slice(1)));
  } finally {
    client.disconnect();
  }
}

async function redisServer(t: TestContext, port: number, args: string[] = []): Promise<ServerProcess> {
  const dir = await scratchDir(t, `redis-${port}`);
  return startServer(
    t,
    `redis-server :${port}`,
    REDIS_SERVER as string,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    async () => (await answers(port, 'PING')) === 'PONG',
  );
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what}: not in ${timeoutMs} ms`);
}

/**
 * A primary, its replica and three sentinels (quorum 2) that call the primary down after 1 s of silence. Resolves
 * once every sentinel knows the replica and the other two, so a failover can be elected at once.
 */
export async function startSentinelGroup(t: TestContext) {
  const [primaryPort, replicaPort, ...sentinelPorts] = (await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  )) as [number, number, number, number, number];
  const primary = await redisServer(t, primaryPort);
  await redisServer(t, replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
  await until('the replica in sync', async () =>
    (await answers(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'),
  );
  for (const port of sentinelPorts) {
    const dir = await scratchDir(t, `sentinel-${port}`);
    const config = join(dir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    await startServer(
      t,
      `redis-sentinel :${port}`,
      REDIS_SENTINEL as string,
      [config],
      async () => (await answers(port, 'PING')) === 'PONG',
    );
  }
  for (const port of sentinelPorts) {
    await until(`sentinel :${port} sees the replica and its two peers`, async () => {
      const [replicas, peers] = await Promise.all([sentinelList(port, 'REPLICAS'), sentinelList(port, 'SENTINELS')]);
      return replicas === 1 && peers === 2;
    });
  }
  return {
    primaryPort,
    replicaPort,
    sentinelPorts,
    env: {
      REDIS_URL: '',
      REDIS_SENTINELS: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      REDIS_SENTINEL_NAME: SENTINEL_NAME,
    },
    /** Kills the primary outright (SIGKILL), as a crashed machine. */
    killPrimary: () => primary.kill(),
    /** The port of the primary the sentinels name now. */
    currentPrimary: async () => {
      const client = new Redis({ port: sentinelPorts[0], host: '127.0.0.1', lazyConnect: true });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME)) as [string, string];
        return Number(port);
      } finally {
        client.disconnect();
      }
    },
  };
}

/** How many replicas or peer sentinels a sentinel knows for the primary. */
async function sentinelList(port: number, what: 'REPLICAS' | 'SENTINELS'): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return ((await client.call('SENTINEL', what, SENTINEL_NAME)) as unknown[]).length;
  } finally {
    client.disconnect();
  }
}

/** Three primaries, every slot assigned, cluster state ok. */
export async function startRedisCluster(t: TestContext) {
  const ports = (await Promise.all(Array.from({ length: 3 }, () => freePort()))) as [number, number, number];
  for (const port of ports) {
    await redisServer(t, port, [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
    ]);
  }
  run(REDIS_CLI as string, [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (const port of ports) {
    await until(`cluster node :${port} ok`, async () =>
      (await answers(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
    );
  }
  const nodeId = async (port: number) => answers(port, 'CLUSTER', 'MYID');
  return {
    ports,
    env: { REDIS_URL: '', REDIS_CLUSTER_NODES: ports.map((port) => `127.0.0.1:${port}`).join(',') },
    /** Moves `slots` slots, and the keys in them, from the first node to the second (redis-cli --cluster reshard). */
    reshard: async (slots: number) => {
      const [from, to] = await Promise.all([nodeId(ports[0]), nodeId(ports[1])]);
      return runAsync(REDIS_CLI as string, [
        '--cluster',
        'reshard',
        `127.0.0.1:${ports[0]}`,
        '--cluster-from',
        from,
        '--cluster-to',
        to,
        '--cluster-slots',
        String(slots),
        '--cluster-yes',
      ]);
    },
    /** How many keys each node holds. */
    keysPerNode: async () => Promise.all(ports.map(async (port) => Number(await answers(port, 'DBSIZE')))),
    client: () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))),
  };
}
