/**
 * Every route driven with generated malformed input: thousands of cases from a seeded generator (the seed is
 * printed; FUZZ_SEED replays a run, FUZZ_CASES changes its size), bounded in time. Each answer must be below 500
 * (but for the provider's own 501 "not capable", relayed as Smartcar sends it) and, when an error, a JSON body
 * naming it; afterwards Keyfob still serves and the database is unchanged (audit
 * events may only have been appended).
 *
 * The generator never sends a well-formed state-changing request (a DELETE of the user's real vehicle with a
 * valid CSRF header, a logout of the session in use): those would change data by design, not by fault.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { ALEX_ACCOUNT, connectedBrowser } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 5000);
const TIME_BUDGET_MS = 90_000;
const PARALLEL = 12;

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number) => next() < p;
  return { int, pick, chance };
}

type Random = ReturnType<typeof generator>;

const NASTY_STRINGS = [
  '',
  ' ',
  '..',
  '../..',
  '%2e%2e%2f',
  '%252e',
  '%',
  '%zz',
  '%00',
  '\u0000',
  '\\',
  '//evil.example',
  'https://evil.example',
  'javascript:alert(1)',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE grants; --',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant literally
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(400),
  'ä½ å¥½',
  '\u202e',
  '\ud83d\ude97',
  'x'.repeat(5000),
];

function randomString(random: Random): string {
  if (random.chance(0.6)) return random.pick(NASTY_STRINGS);
  const length = random.int(40);
  let text = '';
  for (let i = 0; i < length; i++)
    text += String.fromCharCode(random.chance(0.8) ? 32 + random.int(95) : random.int(0xffff));
  return text;
}

function randomJson(random: Random, depth = 0): unknown {
  const kind = random.int(depth > 3 ? 4 : 7);
  if (kind === 0) return randomString(random);
  if (kind === 1) return random.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]);
  if (kind === 2) return random.pick([true, false, null]);
  if (kind === 3) return random.pick(['LOCK', 'UNLOCK', 'START', 'STOP', '/odometer', '/vin']);
  if (kind === 4) return Array.from({ length: random.int(5) }, () => randomJson(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = random.int(4); i >= 0; i--) {
    object[random.pick(['action', 'requests', 'path', '__proto__', 'constructor', 'padding', randomString(random)])] =
      randomJson(random, depth + 1);
  }
  return object;
}

function randomBody(random: Random): { body: string | undefined; contentType: string | undefined } {
  const contentType = random.pick([
    'application/json',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    'garbage/??',
    undefined,
  ]);
  const body = random.pick([
    () => JSON.stringify(randomJson(random)),
    () => '{"action":',
    () => '[]',
    () => 'null',
    () => '{"a":'.repeat(200),
    () => randomString(random),
    () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
    () => undefined,
  ])();
  return { body, contentType };
}

/** Percent-encodes any string, lone surrogates included (which encodeURIComponent refuses). */
const encode = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd'));

const SAFE_HEADER_VALUE = (text: string) => text.replace(/[^\u0020-\u007e]/g, '?').slice(0, 2000);

test(`fuzz: ${CASES} malformed requests over every route: no 5xx, JSON errors, an unchanged database`, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
  t.diagnostic(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays this run)`);
  const random = generator(seed);
  const keyfob = await startKeyfobUnderTest(t);
  const { browser, byMake } = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const realVehicle = byMake('TESLA').id as string;
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const proxyPaths = [
    ...new Set([...keyfob.app.providers.values()].flatMap((adapter) => adapter.routes.map((route) => route.path))),
  ];

  const snapshot = async () => {
    const tables: Record<string, unknown> = {};
    for (const table of ['users', 'identities', 'grants', 'vehicles', 'app_tokens', '_prisma_migrations']) {
      tables[table] = await keyfob.app.db.$queryRawUnsafe(
        `SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY row_to_json(t)::text`,
      );
    }
    return tables;
  };
  const auditBefore = await keyfob.app.db.$queryRawUnsafe<Array<{ row: string }>>(
    'SELECT row_to_json(t)::text AS row FROM audit_events t ORDER BY id',
  );
  const before = await snapshot();

  const nextCase = () => {
    const vehicle = random.pick([
      realVehicle,
      '00000000-0000-4000-8000-000000000000',
      encode(randomString(random)),
      randomString(random).replace(/[^A-Za-z0-9%._~-]/g, ''),
    ]);
    const suffix = random.chance(0.85) ? random.pick(proxyPaths) : `/${encode(randomString(random))}`;
    const path = random.pick([
      '/',
      '/healthz',
      '/readyz',
      '/metrics',
      '/auth/login',
      '/auth/callback',
      '/auth/session',
      '/auth/logout',
      '/auth/',
      '/api/vehicles',
      `/api/vehicles/${vehicle}`,
      `/api/vehicles/${vehicle}${suffix}`,
      `/api/vehicles/${vehicle}${suffix}`,
      `/api/vehicles/${vehicle}${suffix}`,
      `/${encode(randomString(random))}`,
    ]);
    const query = random.chance(0.5)
      ? `?${Array.from({ length: 1 + random.int(3) }, () => `${encode(random.pick(['returnTo', 'state', 'code', 'error', 'error_description', 'x', randomString(random)]))}=${encode(randomString(random))}`).join('&')}`
      : '';
    const method = random.pick(['GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS']);
    const headers: Record<string, string> = {};
    if (random.chance(0.7)) headers['x-csrf'] = random.chance(0.8) ? '1' : SAFE_HEADER_VALUE(randomString(random));
    const cookieKind = random.int(10);
    if (cookieKind < 6) headers.cookie = cookie;
    else if (cookieKind < 9)
      headers.cookie = SAFE_HEADER_VALUE(`keyfob=${randomString(random)}; ${randomString(random)}`);
    if (random.chance(0.2)) headers.origin = random.pick([keyfob.url, 'https://evil.example', 'null']);
    if (random.chance(0.2)) headers.accept = SAFE_HEADER_VALUE(randomString(random));
    if (random.chance(0.1)) headers['sc-unit-system'] = SAFE_HEADER_VALUE(randomString(random));
    const { body, contentType } =
      method === 'GET' || method === 'OPTIONS' ? { body: undefined, contentType: undefined } : randomBody(random);
    if (contentType && body !== undefined) headers['content-type'] = contentType;
    // Well-formed state changes are not malformed input: disconnecting the real vehicle, signing out the session.
    const changesData =
      (method === 'DELETE' && path === `/api/vehicles/${realVehicle}`) ||
      (path === '/auth/logout' && method === 'POST');
    if (changesData && headers.cookie === cookie) headers['x-csrf'] = 'no';
    return { method, url: `${path}${query}`, headers, body };
  };

  const failures: string[] = [];
  let run = 0;
  const deadline = Date.now() + TIME_BUDGET_MS;
  const worker = async () => {
    while (run < CASES && Date.now() < deadline) {
      run++;
      const request = nextCase();
      const label = `${request.method} ${request.url.slice(0, 120)} ${JSON.stringify(request.headers).slice(0, 160)}`;
      try {
        const answer = await fetch(`${keyfob.url}${request.url}`, {
          method: request.method,
          headers: request.headers,
          redirect: 'manual',
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
        const text = await answer.text();
        // The one 5xx that is the provider's own verdict, relayed as Smartcar gives it: "this vehicle cannot do that".
        const providerCompatibility = answer.status === 501 && text.includes('"type":"COMPATIBILITY"');
        if (answer.status >= 500 && !providerCompatibility)
          failures.push(`${answer.status} ${label}: ${text.slice(0, 200)}`);
        else if (answer.status >= 400) {
          let parsed: { error?: unknown; type?: unknown; code?: unknown } | undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          // Keyfob's own errors name themselves in `error`; a provider error is relayed with Smartcar's body.
          const named =
            typeof parsed?.error === 'string' || (typeof parsed?.type === 'string' && typeof parsed?.code === 'string');
          if (!named) failures.push(`${answer.status} without a JSON error: ${label}: ${text.slice(0, 200)}`);
        }
      } catch (error) {
        failures.push(`no answer (${(error as Error).message}): ${label}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.diagnostic(`fuzz: ${run} cases run, ${failures.length} failed`);
  assert.deepEqual(failures.slice(0, 20), [], `seed ${seed}`);
  assert.ok(run >= Math.min(CASES, 1000), `only ${run} cases ran in the time budget`);

  assert.equal((await fetch(`${keyfob.url}/healthz`)).status, 200, 'Keyfob still serves');
  await keyfob.app.repos.audit.flush();
  assert.deepEqual(await snapshot(), before, 'users, grants, vehicles and app tokens are unchanged');
  const auditAfter = await keyfob.app.db.$queryRawUnsafe<Array<{ row: string }>>(
    'SELECT row_to_json(t)::text AS row FROM audit_events t ORDER BY id',
  );
  assert.deepEqual(auditAfter.slice(0, auditBefore.length), auditBefore, 'audit events were only appended');
  assert.equal(
    (await browser.request('GET', `/api/vehicles/${realVehicle}/odometer`)).status,
    200,
    'the session works',
  );
});
