/**
 * `npm run bench`: throughput and latency direct to the sandbox, through a bare proxy and through Keyfob; Keyfob's
 * peak RSS; a 200-request refresh storm; the keep-alive job over seeded grants. All on loopback, each server in
 * its own process, figures as ratios to the baseline of the same run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseKeyRing } from '../src/config/key-ring-format.ts';
import { memoizedSigner } from '../src/sessions/memoized-signer.ts';
import { createDataKeys } from '../src/vault/data-keys.ts';
import { createTokenVault } from '../src/vault/token-vault.ts';
import { Browser } from '../test/helpers/browser.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { benchmarkKeyRotation } from './key-rotation.ts';
import { pacedLatency } from './paced-load.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const KEEPALIVE_GRANTS = Number(process.env.BENCH_KEEPALIVE_GRANTS ?? 100_000);
// Latency is also measured at this fixed rate (below every target's capacity): at full load, a closed loop of
// 50 connections makes latency 50 / throughput, which measures throughput twice instead of the time a proxied
// call adds.
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 1000);
const STORM = 200;
const ALEX = '5f4b9a2e-61c3-4b7e-9d0a-1c2e3f4a5b61';

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  console.error('npm run bench needs DATABASE_URL and REDIS_URL: Keyfob is measured on a real Postgres and Redis');
  process.exit(1);
}

// Keyfob as the README and the Dockerfile run it in production.
const KEYFOB_COMMAND = ['--max-semi-space-size=8', '--max-old-space-size=1024', 'dist/server.js'];
// BENCH_CPU_PROFILE=<folder>: each proxy writes V8 CPU profiles into its own subfolder as it exits (open them in
// Chrome's DevTools; the bare proxy's folder also holds one of tsx's loader thread), to see where a proxied call's
// time goes. Profiling slows both; the figures of such a run are not the benchmark's.
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const profileFlags = (name: string) => (PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${name}`] : []);

/**
 * What @fastify/session costs a request that changes nothing, measured in process on its own Session class: the
 * session built from the stored copy (cookie settings, the signed id through our remembering signer, a stable
 * JSON and SHA-256 hash) as the request arrives, and `isModified` (the hash again) as it answers. Keyfob's store,
 * timeouts and cache are not in it: this is the library's share of a proxied call.
 */
function measureSessionCost() {
  const require = createRequire(import.meta.url);
  const Session = require('@fastify/session/lib/session.js') as new (...args: unknown[]) => { isModified(): boolean };
  const signer = memoizedSigner(randomBytes(32).toString('base64url'));
  const stored = {
    cookie: { originalMaxAge: 7_200_000, expires: new Date(Date.now() + 7_200_000), httpOnly: true, path: '/' },
    userId: randomUUID(),
    createdAt: Date.now(),
    lastSeenAt: Date.now(),
  };
  const request = { protocol: 'http' };
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: '/', secure: false, maxAge: 7_200_000 };
  const sessionId = randomBytes(24).toString('base64url');
  const iterations = 200_000;
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const session = new Session({}, request, () => sessionId, cookieOptions, signer, stored, sessionId);
      if (session.isModified()) throw new Error('an unchanged session reads as modified');
    }
  };
  run(20_000); // warm-up
  const started = process.cpuUsage();
  run(iterations);
  const used = process.cpuUsage(started);
  return { iterations, microsPerRequest: Math.round(((used.user + used.system) / iterations) * 10) / 10 };
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  waitForJson = true,
): Promise<{ child: ChildProcess; info: { url: string } | undefined }> {
  // Keyfob runs compiled, as in production, without the TypeScript loader; the benchmark's helpers need it.
  const loader = args.some((arg) => arg.startsWith('dist/')) ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', waitForJson ? 'pipe' : 'ignore', 'inherit'],
  });
  children.push(child);
  if (!waitForJson) return Promise.resolve({ child, info: undefined });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk) => {
      buffer += String(chunk);
      const line = buffer.split('\n')[0];
      if (buffer.includes('\n') && line) resolve({ child, info: JSON.parse(line) });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function waitForHealth(url: string) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not start`);
}

/**
 * A closed-loop load. `distinct`: every request carries a query of its own (`?n=1`, `?n=2` ...), so no two are
 * identical: Keyfob shares one upstream call among identical GETs in flight, and the throughput comparison is of
 * the proxying work, not of that saving (measured apart, as the tabs workload).
 */
async function load(
  url: string,
  headers: Record<string, string>,
  duration: number,
  options: { connections?: number; distinct?: boolean } = { distinct: true },
) {
  let counter = 0;
  const path = new URL(url).pathname;
  const result = await autocannon({
    url,
    connections: options.connections ?? CONNECTIONS,
    duration,
    headers,
    pipelining: 1,
    ...(options.distinct
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                counter += 1;
                return { ...request, path: `${path}?n=${counter}` };
              },
            },
          ],
        }
      : {}),
  });
  const ok = result['2xx'];
  if (result.non2xx > 0 || result.errors > 0)
    console.error(`  ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, ok };
}

/** CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux). */
async function cpuMicros(pid: number | undefined) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond;
}

async function peakRssMb(pid: number | undefined) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

// --- set-up: a fresh database, the sandbox, the bare proxy, Keyfob ---
const databaseName = `keyfob_bench_${randomBytes(4).toString('hex')}`;
const serverUrl = new URL(process.env.DATABASE_URL);
const admin = new pg.Client({
  connectionString: Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString(),
});
await admin.connect();
await admin.query(`CREATE DATABASE ${databaseName}`);
const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${databaseName}` }).toString();

const clientId = 'bench-client';
const clientSecret = randomBytes(16).toString('hex');
const keyfobPort = await freePort();
const keyfobUrl = `http://127.0.0.1:${keyfobPort}`;
const keys = `bench:${randomBytes(32).toString('base64')}`;
const sandbox = await spawnNode(['bench/sandbox-process.ts'], {
  BENCH_CLIENT_ID: clientId,
  BENCH_CLIENT_SECRET: clientSecret,
  BENCH_REDIRECT_URI: `${keyfobUrl}/auth/callback`,
});
const sandboxUrl = sandbox.info?.url ?? '';
const bare = await spawnNode([...profileFlags('bare-proxy'), 'bench/bare-proxy.ts'], { BENCH_UPSTREAM: sandboxUrl });
const keyfobEnv = {
  NODE_ENV: 'production',
  PORT: String(keyfobPort),
  HOST: '127.0.0.1',
  PUBLIC_URL: keyfobUrl,
  LOG_LEVEL: 'info',
  DATABASE_URL: databaseUrl,
  REDIS_URL: process.env.REDIS_URL,
  SESSION_SECRET: randomBytes(32).toString('base64url'),
  TOKEN_ENCRYPTION_KEYS: keys,
  ERASURE_LEDGER_DIR: mkdtempSync(join(tmpdir(), 'keyfob-bench-ledger-')),
  PROVIDERS: 'smartcar',
  SMARTCAR_CLIENT_ID: clientId,
  SMARTCAR_CLIENT_SECRET: clientSecret,
  SMARTCAR_MODE: 'simulated',
  SMARTCAR_CONNECT_URL: sandboxUrl,
  SMARTCAR_AUTH_URL: sandboxUrl,
  SMARTCAR_API_URL: `${sandboxUrl}/v2.0`,
  // The limits stay on, so their cost is part of the measure, but high enough that one benchmarking client (one
  // address, one session) is never refused.
  RATE_LIMIT_API_PER_IP: '10000000',
  RATE_LIMIT_API_PER_SESSION: '10000000',
  RATE_LIMIT_AUTH_PER_IP: '10000000',
  RATE_LIMIT_AUTH_PER_SESSION: '10000000',
};
console.log('building Keyfob (npm run build) to measure it as production runs it');
execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
const keyfob = await spawnNode([...profileFlags('keyfob'), ...KEYFOB_COMMAND], keyfobEnv, false);
await waitForHealth(keyfobUrl);

// --- an authenticated session, and the same user's access token for the direct run ---
const browser = new Browser(keyfobUrl);
await browser.connect({ account: ALEX });
const vehicles = (await browser.request('GET', '/api/vehicles')).json.vehicles as Array<{ id: string; make: string }>;
const tesla = vehicles.find((vehicle) => vehicle.make === 'TESLA')?.id ?? '';
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const dataKeys = createDataKeys(createTokenVault(parseKeyRing(keys).entries));
const grantRow = (
  await db.query(
    `SELECT g.id, g.user_id, g.access_token_enc, k.wrapped_key FROM grants g
     JOIN user_data_keys k ON k.user_id = g.user_id LIMIT 1`,
  )
).rows[0];
const accessToken = dataKeys.secretsOf(grantRow.user_id, grantRow.wrapped_key).decrypt(grantRow.access_token_enc, {
  table: 'grants',
  column: 'access_token_enc',
  rowId: grantRow.id,
});
const providerVehicleId = (await db.query('SELECT provider_vehicle_id FROM vehicles WHERE id = $1', [tesla])).rows[0]
  .provider_vehicle_id as string;
const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

const targets = {
  direct: {
    url: `${sandboxUrl}/v2.0/vehicles/${providerVehicleId}/odometer`,
    headers: { authorization: `Bearer ${accessToken}` },
  },
  bareProxy: {
    url: `${bare.info?.url}/v2.0/vehicles/${providerVehicleId}/odometer`,
    headers: { authorization: `Bearer ${accessToken}` },
  },
  keyfob: { url: `${keyfobUrl}/api/vehicles/${tesla}/odometer`, headers: { cookie, 'x-csrf': '1' } },
};
const measured: Record<string, Awaited<ReturnType<typeof load>>> = {};
const atRate: Record<string, Awaited<ReturnType<typeof pacedLatency>>> = {};
// The proxy's own CPU per request: the figure that decides throughput once the proxy's one thread is saturated.
const proxyPids: Record<string, number | undefined> = { bareProxy: bare.child.pid, keyfob: keyfob.child.pid };
const cpuPerRequestMicros: Record<string, number> = {};
for (const [name, target] of Object.entries(targets)) {
  await load(target.url, target.headers, 3); // warm-up
  const cpuBefore = name in proxyPids ? await cpuMicros(proxyPids[name]) : 0;
  measured[name] = await load(target.url, target.headers, DURATION);
  const served = (measured[name]?.rps ?? 0) * DURATION;
  if (name in proxyPids && served > 0) {
    cpuPerRequestMicros[name] = Math.round(((await cpuMicros(proxyPids[name])) - cpuBefore) / served);
  }
  console.log(`${name}: ${measured[name]?.rps} req/s, p50 ${measured[name]?.p50} ms, p99 ${measured[name]?.p99} ms`);
  const paced = {
    url: target.url,
    headers: target.headers,
    rate: LATENCY_RATE,
    connections: CONNECTIONS,
    distinct: true,
  };
  atRate[name] = await pacedLatency({ ...paced, warmupSeconds: 3, seconds: Math.min(DURATION, 10) });
  const measuredAtRate = atRate[name];
  if (measuredAtRate && measuredAtRate.failed > 0) {
    console.error(`  ${name} at ${LATENCY_RATE} req/s: ${measuredAtRate.failed} failed`);
  }
  console.log(`  at ${LATENCY_RATE} req/s: p50 ${measuredAtRate?.p50} ms, p99 ${measuredAtRate?.p99} ms`);
}
const cpuNote = `CPU per request: bare proxy ${cpuPerRequestMicros.bareProxy} µs, Keyfob ${cpuPerRequestMicros.keyfob} µs`;
console.log(cpuNote);

// --- tracing on: a second Keyfob, the same build and session, sending every span to a collector stand-in ---
let spansReceived = 0;
const collector = createServer((request, response) => {
  request.on('data', () => undefined);
  request.on('end', () => {
    spansReceived++;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const tracedPort = await freePort();
const traced = await spawnNode(
  KEYFOB_COMMAND,
  {
    ...keyfobEnv,
    PORT: String(tracedPort),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
  },
  false,
);
await waitForHealth(`http://127.0.0.1:${tracedPort}`);
const tracedUrl = `http://127.0.0.1:${tracedPort}/api/vehicles/${tesla}/odometer`;
await load(tracedUrl, targets.keyfob.headers, 3);
const tracedCpuBefore = await cpuMicros(traced.child.pid);
const tracedRun = await load(tracedUrl, targets.keyfob.headers, DURATION);
const tracedCpu = Math.round(((await cpuMicros(traced.child.pid)) - tracedCpuBefore) / (tracedRun.rps * DURATION));
traced.child.kill('SIGTERM');
await new Promise((resolve) => setTimeout(resolve, 1500));
collector.close();
const tracing = {
  offRps: measured.keyfob?.rps ?? 0,
  onRps: tracedRun.rps,
  offCpuMicros: cpuPerRequestMicros.keyfob ?? 0,
  onCpuMicros: tracedCpu,
  ratio: Math.round((tracedRun.rps / (measured.keyfob?.rps ?? 1)) * 100) / 100,
  exportBatches: spansReceived,
};
console.log(
  `tracing on: ${tracing.onRps} req/s (${Math.round(tracing.ratio * 100)}% of off), ${tracing.onCpuMicros} µs CPU per request (off ${tracing.offCpuMicros})`,
);

// --- several tabs: one user's dashboard open in TABS tabs, each polling the same vehicle as fast as it can ---
const upstreamOdometerCalls = async () =>
  ((await (await fetch(`${sandboxUrl}/sandbox/calls`)).json()) as Record<string, number>)['api.GET /odometer'] ?? 0;
const TABS = 10;
const tabsBefore = await upstreamOdometerCalls();
const tabsRun = await load(targets.keyfob.url, targets.keyfob.headers, 10, { connections: TABS, distinct: false });
const tabsUpstream = (await upstreamOdometerCalls()) - tabsBefore;
const tabs = {
  tabs: TABS,
  requestsServed: tabsRun.ok,
  upstreamCalls: tabsUpstream,
  callsSavedPercent: tabsRun.ok > 0 ? Math.round((1 - tabsUpstream / tabsRun.ok) * 100) : 0,
  rps: tabsRun.rps,
};
console.log(
  `${TABS} tabs polling one vehicle: ${tabs.requestsServed} requests answered with ${tabs.upstreamCalls} upstream calls (${tabs.callsSavedPercent}% saved)`,
);
const rssMb = await peakRssMb(keyfob.child.pid);
const sessionCost = measureSessionCost();
console.log(
  `@fastify/session per request (in process): ${sessionCost.microsPerRequest} µs to build and check a loaded session`,
);

// --- the refresh storm: 200 concurrent requests that all need the one expired token refreshed ---
const callsBefore =
  ((await (await fetch(`${sandboxUrl}/sandbox/calls`)).json()) as Record<string, number>)['token.refresh_token'] ?? 0;
const expired = await db.query(`UPDATE grants SET access_expires_at = now() - interval '1 second' RETURNING id`);
// A direct database edit: announced on the invalidation channel, as Keyfob's own writes are.
const publisher = new Redis(process.env.REDIS_URL ?? '');
for (const row of expired.rows)
  await publisher.publish('keyfob:invalidate', JSON.stringify({ kind: 'grant', id: row.id }));
await publisher.quit();
const stormStarted = performance.now();
const stormAnswers = await Promise.all(
  Array.from({ length: STORM }, () =>
    fetch(targets.keyfob.url, { headers: targets.keyfob.headers }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    }),
  ),
);
const stormMs = Math.round(performance.now() - stormStarted);
const callsAfter =
  ((await (await fetch(`${sandboxUrl}/sandbox/calls`)).json()) as Record<string, number>)['token.refresh_token'] ?? 0;
const refreshStorm = {
  requests: STORM,
  ok: stormAnswers.filter((status) => status === 200).length,
  refreshCalls: callsAfter - callsBefore,
  ms: stormMs,
};
console.log(
  `refresh storm: ${refreshStorm.ok}/${STORM} ok, ${refreshStorm.refreshCalls} refresh call(s), ${stormMs} ms`,
);

// --- keep-alive over seeded grants: two instances of the job share the work ---
const userId = randomUUID();
await db.query(`INSERT INTO users (id, updated_at) VALUES ($1, now())`, [userId]);
// Sealed as Keyfob seals them: under the user's own data key.
const wrappedKey = dataKeys.generateWrapped(userId);
await db.query(`INSERT INTO user_data_keys (user_id, kek_id, wrapped_key) VALUES ($1, 'bench', $2)`, [
  userId,
  wrappedKey,
]);
const secrets = dataKeys.secretsOf(userId, wrappedKey);
let seeded = 0;
while (seeded < KEEPALIVE_GRANTS) {
  const count = Math.min(20_000, KEEPALIVE_GRANTS - seeded);
  const response = await fetch(`${sandboxUrl}/sandbox/grants/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count }),
  });
  const { grants } = (await response.json()) as { grants: Array<{ access_token: string; refresh_token: string }> };
  for (let offset = 0; offset < grants.length; offset += 1000) {
    const rows = grants.slice(offset, offset + 1000).map((pair) => {
      const id = randomUUID();
      return [
        id,
        secrets.encrypt(pair.access_token, { table: 'grants', column: 'access_token_enc', rowId: id }),
        secrets.encrypt(pair.refresh_token, { table: 'grants', column: 'refresh_token_enc', rowId: id }),
      ];
    });
    await db.query(
      `INSERT INTO grants (id, user_id, provider, access_token_enc, refresh_token_enc, access_expires_at, refresh_expires_at, scopes, updated_at)
       SELECT u.id::uuid, $1, 'smartcar', u.a, u.r, now() + interval '2 hours', now() + interval '1 day', '{}', now()
       FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, a, r)`,
      [userId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }
  seeded += grants.length;
}
const keepaliveEnv = {
  ...keyfobEnv,
  LOG_LEVEL: 'warn',
  KEEPALIVE_WINDOW_SECONDS: String(3 * 24 * 3600),
  KEEPALIVE_BATCH_SIZE: '500',
};
const keepaliveStarted = performance.now();
const runs = await Promise.all(
  [1, 2].map(
    () =>
      new Promise<{ claimed: number; outcomes: Record<string, number> }>((resolve, reject) => {
        const child = spawn(process.execPath, ['dist/cli/keepalive.js'], {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...keepaliveEnv },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(child);
        let output = '';
        child.stdout?.on('data', (chunk) => {
          output += String(chunk);
        });
        child.once('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}'))
            : reject(new Error(`keepalive exited ${code}`)),
        );
      }),
  ),
);
const keepaliveMs = performance.now() - keepaliveStarted;
const summary = (await (await fetch(`${sandboxUrl}/sandbox/grants/refresh-summary`)).json()) as {
  grantsRefreshed: number;
  refreshedMoreThanOnce: number;
};
const refreshedByJob = runs.reduce((sum, run) => sum + (run.outcomes.refreshed ?? 0), 0);
const keepalive = {
  grants: KEEPALIVE_GRANTS,
  refreshed: refreshedByJob,
  perSecond: Math.round(refreshedByJob / (keepaliveMs / 1000)),
  refreshedTwice: summary.refreshedMoreThanOnce,
  instances: 2,
  seconds: Math.round(keepaliveMs / 100) / 10,
};
console.log(
  `keep-alive: ${refreshedByJob} of ${KEEPALIVE_GRANTS} grants in ${keepalive.seconds} s (${keepalive.perSecond}/s), ${summary.refreshedMoreThanOnce} refreshed twice`,
);

// --- key rotation on 100,000 users (database only; see key-rotation.ts) ---
const keyRotation = await benchmarkKeyRotation(process.env.DATABASE_URL);
console.log(
  `key rotation: re-encrypting ${keyRotation.secrets} secrets ${keyRotation.reencryptAllSeconds} s; re-wrapping ${keyRotation.rewrapped} data keys ${keyRotation.rewrapSeconds} s`,
);

// --- results ---
const direct = measured.direct;
const bareProxy = measured.bareProxy;
const viaKeyfob = measured.keyfob;
const directAtRate = atRate.direct;
const bareAtRate = atRate.bareProxy;
const keyfobAtRate = atRate.keyfob;
if (!direct || !bareProxy || !viaKeyfob || !directAtRate || !bareAtRate || !keyfobAtRate) {
  throw new Error('a measurement is missing');
}
const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  settings: {
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    route: 'GET /api/vehicles/:id/odometer',
    logLevel: 'info',
    latencyRate: LATENCY_RATE,
    keyfobCommand: KEYFOB_COMMAND.join(' '),
  },
  directRps: direct.rps,
  bareProxyRps: bareProxy.rps,
  keyfobRps: viaKeyfob.rps,
  ratioToBareProxy: Math.round((viaKeyfob.rps / bareProxy.rps) * 100) / 100,
  cpuPerRequestMicros,
  /** At full load (closed loop, `connections` at once): latency there is mostly queueing, connections / throughput. */
  latencyMs: {
    direct: { p50: direct.p50, p99: direct.p99 },
    bareProxy: { p50: bareProxy.p50, p99: bareProxy.p99 },
    keyfob: { p50: viaKeyfob.p50, p99: viaKeyfob.p99 },
  },
  /** At `latencyRate` requests per second over the same connections: the time a proxied call adds. */
  latencyAtRateMs: {
    direct: { p50: directAtRate.p50, p99: directAtRate.p99 },
    bareProxy: { p50: bareAtRate.p50, p99: bareAtRate.p99 },
    keyfob: { p50: keyfobAtRate.p50, p99: keyfobAtRate.p99 },
  },
  p99AddedMs: Math.round((keyfobAtRate.p99 - directAtRate.p99) * 10) / 10,
  p99AddedOverBareProxyMs: Math.round((keyfobAtRate.p99 - bareAtRate.p99) * 10) / 10,
  p99AddedAtFullLoadMs: Math.round((viaKeyfob.p99 - direct.p99) * 10) / 10,
  peakRssMb: rssMb,
  refreshStorm,
  keepalive,
  /** One user's TABS tabs polling the same vehicle: identical GETs in flight share one upstream call. */
  tabs,
  /** @fastify/session's own work for one request that changes nothing (see measureSessionCost). */
  sessionCost,
  /** The same Keyfob with OpenTelemetry tracing on (every span exported) against off. */
  tracing,
  /** Rotation on `users` users: every secret re-encrypted (before data keys) against data keys re-wrapped (now). */
  keyRotation,
};
await writeFile('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);

const table = [
  `| | requests/s (full load) | p50 / p99 ms (full load) | p50 / p99 ms (at ${LATENCY_RATE} req/s) | CPU µs per request |`,
  '| --- | --- | --- | --- | --- |',
  `| direct to the sandbox | ${direct.rps} | ${direct.p50} / ${direct.p99} | ${directAtRate.p50} / ${directAtRate.p99} | |`,
  `| bare proxy | ${bareProxy.rps} | ${bareProxy.p50} / ${bareProxy.p99} | ${bareAtRate.p50} / ${bareAtRate.p99} | ${cpuPerRequestMicros.bareProxy} |`,
  `| Keyfob | ${viaKeyfob.rps} | ${viaKeyfob.p50} / ${viaKeyfob.p99} | ${keyfobAtRate.p50} / ${keyfobAtRate.p99} | ${cpuPerRequestMicros.keyfob} |`,
  '',
  `Keyfob at **${Math.round(results.ratioToBareProxy * 100)}%** of the bare proxy's throughput; p99 added over direct at ${LATENCY_RATE} req/s ${results.p99AddedMs} ms (over the bare proxy ${results.p99AddedOverBareProxyMs} ms; at full load ${results.p99AddedAtFullLoadMs} ms); peak RSS ${rssMb} MB.`,
  `Refresh storm: ${refreshStorm.ok}/${STORM} answered 200 with ${refreshStorm.refreshCalls} refresh call(s) in ${stormMs} ms.`,
  `Keep-alive: ${keepalive.refreshed} of ${keepalive.grants} seeded grants refreshed by ${keepalive.instances} instances in ${keepalive.seconds} s (${keepalive.perSecond}/s), ${keepalive.refreshedTwice} refreshed twice.`,
  `Several tabs: ${TABS} tabs of one user polling one vehicle got ${tabs.requestsServed} answers from ${tabs.upstreamCalls} upstream calls (${tabs.callsSavedPercent}% of the calls saved).`,
  `Tracing (OpenTelemetry, every request's spans exported): ${tracing.onRps} req/s against ${tracing.offRps} off (${Math.round(tracing.ratio * 100)}%), ${tracing.onCpuMicros} µs of CPU per request against ${tracing.offCpuMicros}.`,
  `Key rotation, ${keyRotation.users.toLocaleString('en')} users with ${keyRotation.connectionsPerUser} connections each: re-encrypting all ${keyRotation.secrets.toLocaleString('en')} secrets (what rotating cost before data keys) ${keyRotation.reencryptAllSeconds} s; re-wrapping ${keyRotation.rewrapped.toLocaleString('en')} data keys (\`npm run rotate-keys\` now) ${keyRotation.rewrapSeconds} s, ${Math.round(keyRotation.ratio * 100)}% of it.`,
  `@fastify/session: ${sessionCost.microsPerRequest} µs of CPU per request to build and check a loaded, unchanged session (in process, ${sessionCost.iterations} times).`,
  `(${results.machine.cpus} cores, ${results.machine.cpu}, Node ${results.machine.node}, ${CONNECTIONS} connections, ${DURATION} s per target, ${results.date.slice(0, 10)}.)`,
].join('\n');
console.log(`\n${table}`);
const readme = await readFile('README.md', 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (readme.includes(start)) {
  await writeFile(
    'README.md',
    `${readme.slice(0, readme.indexOf(start) + start.length)}\n${table}\n${readme.slice(readme.indexOf(end))}`,
  );
}

await db.end();
for (const child of children) child.kill('SIGTERM');
await new Promise((resolve) => setTimeout(resolve, 1000));
await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
await admin.end();
process.exit(0);
