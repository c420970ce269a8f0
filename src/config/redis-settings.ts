/**
 * Where Redis is (`REDIS_*`): one server (`REDIS_URL`), a primary found through Redis Sentinel
 * (`REDIS_SENTINELS` and `REDIS_SENTINEL_NAME`), or a Redis Cluster (`REDIS_CLUSTER_NODES`); at most one of the
 * three. `REDIS_USERNAME`, `REDIS_PASSWORD` and `REDIS_TLS` apply to the servers of Sentinel and Cluster (a URL
 * carries its own), `REDIS_SENTINEL_PASSWORD` to the sentinels. None: sessions in memory, one instance.
 */
import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';

export interface RedisNode {
  host: string;
  port: number;
}

interface RedisAuth {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

export type RedisSettings =
  | { topology: 'single'; url: string }
  | ({ topology: 'sentinel'; sentinels: RedisNode[]; name: string; sentinelPassword: string | undefined } & RedisAuth)
  | ({ topology: 'cluster'; nodes: RedisNode[] } & RedisAuth);

const NODE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port,host:port`, or undefined with a problem named. */
function nodesOf(value: string, variable: string, problems: ConfigProblem[]): RedisNode[] | undefined {
  const nodes: RedisNode[] = [];
  for (const entry of value.split(',').map((item) => item.trim())) {
    const match = NODE.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      problems.push({ variable, expected: 'comma-separated host:port entries, like 10.0.0.1:26379,10.0.0.2:26379' });
      return undefined;
    }
    nodes.push({ host: (match[1] as string).replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

export function redisSettings(env: Env, problems: ConfigProblem[]): RedisSettings | undefined {
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter(
    (variable) => env[variable] !== undefined,
  );
  if (chosen.length > 1) {
    for (const variable of chosen) {
      problems.push({ variable, expected: 'one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES, not several' });
    }
    return undefined;
  }
  const auth: RedisAuth = { username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD, tls: env.REDIS_TLS === 'true' };
  if (env.REDIS_SENTINEL_NAME !== undefined && env.REDIS_SENTINELS === undefined) {
    problems.push({ variable: 'REDIS_SENTINEL_NAME', expected: 'set with REDIS_SENTINELS, or not at all' });
  }
  if (env.REDIS_URL !== undefined) {
    for (const variable of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (env[variable] !== undefined) {
        problems.push({
          variable,
          expected: 'unset with REDIS_URL: put credentials in the URL (redis://user:pass@host)',
        });
      }
    }
    return { topology: 'single', url: env.REDIS_URL };
  }
  if (env.REDIS_SENTINELS !== undefined) {
    const sentinels = nodesOf(env.REDIS_SENTINELS, 'REDIS_SENTINELS', problems);
    if (env.REDIS_SENTINEL_NAME === undefined) {
      problems.push({ variable: 'REDIS_SENTINEL_NAME', expected: 'the name Sentinel monitors the primary under' });
    }
    if (!sentinels || env.REDIS_SENTINEL_NAME === undefined) return undefined;
    return {
      topology: 'sentinel',
      sentinels,
      name: env.REDIS_SENTINEL_NAME,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
      ...auth,
    };
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = nodesOf(env.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES', problems);
    return nodes ? { topology: 'cluster', nodes, ...auth } : undefined;
  }
  return undefined;
}
