/**
 * Server jobs calling `/api` with JWT access tokens from the operator's authorization server (the real
 * oidc-provider, client credentials with a resource indicator): each scope allowed and refused, every way a token
 * can be wrong refused as RFC 6750 says, the key set fetched once for unknown key ids, least privilege by
 * assignment, a session cookie beside a token refused, audit, metrics and the per-client rate limit.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { SignJWT } from 'jose';
import { ALL_SCOPES } from '../../src/access/scope-table.ts';
import { KEYFOB_RESOURCE, startAuthorizationServer } from '../helpers/authorization-server.ts';
import { ALEX_ACCOUNT, connectedBrowser, sandboxCalls } from '../helpers/connected.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

async function machineSetup(t: TestContext, env: NodeJS.ProcessEnv = {}) {
  // Client ids of this test alone: rate-limit counters live in the Redis every test file shares.
  const suffix = randomUUID().slice(0, 8);
  const fleetJob = `fleet-job-${suffix}`;
  const otherJob = `other-job-${suffix}`;
  const server = await startAuthorizationServer(t, {
    clients: [
      { id: fleetJob, scopes: [...ALL_SCOPES] },
      { id: otherJob, scopes: [...ALL_SCOPES] },
    ],
  });
  const keyfob = await startKeyfobUnderTest(t, {
    MACHINE_ISSUER: server.issuer,
    MACHINE_AUDIENCE: KEYFOB_RESOURCE,
    ...env,
  });
  const alex = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const userId = alex.session.user.id as string;
  await keyfob.app.repos.machineAccess.grant(fleetJob, { userId });
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${keyfob.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
  };
  return { server, keyfob, alex, userId, fleetJob, otherJob, tesla: alex.byMake('TESLA').id as string, call };
}

/** One route per scope of the table, as a machine client would call it. */
function routesByScope(vehicle: string): Record<string, [string, string, unknown?]> {
  return {
    'vehicle.read_list': ['GET', '/api/vehicles'],
    'vehicle.read_spec': ['GET', `/api/vehicles/${vehicle}/attributes`],
    'vehicle.read_status': ['GET', `/api/vehicles/${vehicle}/odometer`],
    'vehicle.read_recalls': ['GET', `/api/vehicles/${vehicle}/recalls`],
    'vehicle.read_valuation': ['GET', `/api/vehicles/${vehicle}/market-value`],
    'vehicle.read_history': ['GET', `/api/vehicles/${vehicle}/history`],
    'vehicle.read_obd': ['GET', '/api/obd-codes/P0301'],
    'vehicle.read_vin': ['GET', `/api/vehicles/${vehicle}/vin`],
    'vehicle.read_location': ['GET', `/api/vehicles/${vehicle}/location`],
    'vehicle.write_command': ['POST', `/api/vehicles/${vehicle}/security`, { action: 'LOCK' }],
  };
}

test('a machine client: each scope opens its routes and nothing else, with RFC 6750 answers', async (t) => {
  const { server, tesla, call, fleetJob } = await machineSetup(t);
  const routes = routesByScope(tesla);
  assert.deepEqual(
    Object.keys(routes).sort(),
    ALL_SCOPES.filter((scope) => scope !== 'vehicle.write_connection').sort(),
    'every scope but disconnecting has a route here (that one is tested below)',
  );
  for (const [scope, [method, path, body]] of Object.entries(routes)) {
    const allowed = await call(await server.token(fleetJob, [scope]), method, path, body);
    assert.equal(allowed.status, 200, `${scope} opens ${method} ${path}: ${JSON.stringify(allowed.json)}`);
    const others = ALL_SCOPES.filter((other) => other !== scope);
    const refused = await call(await server.token(fleetJob, others), method, path, body);
    assert.equal(refused.status, 403, `${method} ${path} without ${scope}`);
    assert.equal(refused.json.error, 'insufficient_scope');
    assert.equal(refused.headers.get('www-authenticate'), `Bearer error="insufficient_scope", scope="${scope}"`);
  }
  // A batch needs, besides its own scope, each read it names.
  const batch = { requests: [{ path: '/odometer' }, { path: '/location' }] };
  const statusOnly = await server.token(fleetJob, ['vehicle.read_status']);
  const refusedBatch = await call(statusOnly, 'POST', `/api/vehicles/${tesla}/batch`, batch);
  assert.equal(refusedBatch.status, 403);
  assert.match(refusedBatch.headers.get('www-authenticate') ?? '', /scope="vehicle.read_location"/);
  const both = await server.token(fleetJob, ['vehicle.read_status', 'vehicle.read_location']);
  assert.equal((await call(both, 'POST', `/api/vehicles/${tesla}/batch`, batch)).status, 200);
  // No cookie, no CSRF header, and the list shows the assigned user's vehicles, VINs masked.
  const list = await call(await server.token(fleetJob, ['vehicle.read_list']), 'GET', '/api/vehicles');
  assert.ok(list.json.vehicles.length >= 1);
  for (const vehicle of list.json.vehicles) assert.match(vehicle.vin ?? '*', /^\*+/);
  // Disconnecting takes its own scope.
  const noDisconnect = await call(statusOnly, 'DELETE', `/api/vehicles/${tesla}`);
  assert.equal(noDisconnect.status, 403);
  const disconnect = await call(
    await server.token(fleetJob, ['vehicle.write_connection']),
    'DELETE',
    `/api/vehicles/${tesla}`,
  );
  assert.equal(disconnect.status, 200);
});

test('tokens that are expired, early, misdirected, forged or mistyped are 401 invalid_token, saying nothing more', async (t) => {
  const { server, keyfob, tesla, call, fleetJob } = await machineSetup(t);
  const now = Math.floor(Date.now() / 1000);
  const scope = 'vehicle.read_status';
  const publicKey = server.publicRsaJwk();
  // What a valid token would say: the two forgeries below differ from it only in how they are "signed".
  const claims = { iss: server.issuer, aud: KEYFOB_RESOURCE, client_id: fleetJob, iat: now, exp: now + 300, scope };
  const hmacWithPublicKey = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: 'rs-1', typ: 'at+jwt' })
    .sign(new TextEncoder().encode(JSON.stringify(publicKey)));
  const unsigned = (claims: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'es-1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const bad: Record<string, string> = {
    expired: await server.forge({ client_id: fleetJob, scope, iat: now - 900, exp: now - 600 }),
    'not yet valid': await server.forge({ client_id: fleetJob, scope, nbf: now + 600 }),
    'issued in the future': await server.forge({ client_id: fleetJob, scope, iat: now + 600, exp: now + 900 }),
    'another audience': await server.forge({ client_id: fleetJob, scope, aud: 'https://other.example/api' }),
    'another issuer': await server.forge({ client_id: fleetJob, scope, iss: 'https://evil.example' }),
    'an unknown key': await server.forge({ client_id: fleetJob, scope }, { key: 'foreign' }),
    'alg none': unsigned(claims),
    'HS256 keyed with the public key': hmacWithPublicKey,
    'the wrong typ': await server.forge({ client_id: fleetJob, scope }, { header: { typ: 'JWT' } }),
    'no client_id': await server.forge({ scope, client_id: undefined }),
    garbage: 'not.a.jwt',
  };
  const before = await sandboxCalls(keyfob);
  for (const [name, token] of Object.entries(bad)) {
    const answer = await call(token, 'GET', `/api/vehicles/${tesla}/odometer`);
    assert.equal(answer.status, 401, name);
    assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="keyfob", error="invalid_token"', name);
    assert.deepEqual(Object.keys(answer.json).sort(), ['error', 'message', 'requestId'], name);
    assert.equal(answer.json.error, 'invalid_token', name);
  }
  assert.deepEqual(await sandboxCalls(keyfob), before, 'nothing reached the provider');
  // The same token as the server issues it passes, so each refusal above is the one change.
  assert.equal(
    (await call(await server.forge({ client_id: fleetJob, scope }), 'GET', `/api/vehicles/${tesla}/odometer`)).status,
    200,
  );
  // A token living longer than a scope's sensitivity allows: fine for status (an hour), not for location (15 min).
  const hourLong = await server.forge({
    client_id: fleetJob,
    scope: `${scope} vehicle.read_location`,
    exp: now + 3600,
  });
  assert.equal((await call(hourLong, 'GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  assert.equal((await call(hourLong, 'GET', `/api/vehicles/${tesla}/location`)).status, 401);
  // Not a bearer token at all.
  const basic = await fetch(`${keyfob.url}/api/vehicles`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
  assert.equal(basic.status, 401);
  assert.equal(basic.headers.get('www-authenticate'), 'Bearer realm="keyfob"');
  const logs = keyfob.logs.join('');
  for (const token of Object.values(bad)) assert.ok(!logs.includes(token), 'no token in the logs');
});

test('unknown key ids fetch the key set once, not once per token', async (t) => {
  const { server, tesla, call, fleetJob } = await machineSetup(t);
  const first = server.jwksRequests();
  const forged = await Promise.all(
    Array.from({ length: 5 }, () =>
      server.forge({ client_id: fleetJob, scope: 'vehicle.read_status' }, { key: 'foreign' }),
    ),
  );
  for (const token of forged) assert.equal((await call(token, 'GET', `/api/vehicles/${tesla}/odometer`)).status, 401);
  assert.equal(server.jwksRequests() - first, 1, 'one fetch for the first unknown kid, then the cooldown');
  assert.equal(
    (await call(await server.token(fleetJob, ['vehicle.read_status']), 'GET', `/api/vehicles/${tesla}/odometer`))
      .status,
    200,
  );
  assert.equal(server.jwksRequests() - first, 1, 'a known kid needs no fetch');
});

test('a machine client reaches only what an operator assigned it: 404 otherwise, as for a browser', async (t) => {
  const { server, keyfob, alex, tesla, call, otherJob } = await machineSetup(t);
  const other = await server.token(otherJob, [...ALL_SCOPES]);
  assert.deepEqual((await call(other, 'GET', '/api/vehicles')).json.vehicles, []);
  const refused = await call(other, 'GET', `/api/vehicles/${tesla}/odometer`);
  assert.equal(refused.status, 404);
  assert.equal(refused.json.error, 'not_found');
  await keyfob.app.repos.machineAccess.grant(otherJob, { vehicleId: tesla });
  assert.equal((await call(other, 'GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  const toyota = alex.byMake('TOYOTA').id;
  assert.equal(
    (await call(other, 'GET', `/api/vehicles/${toyota}/odometer`)).status,
    404,
    'one vehicle, not its owner',
  );
  await keyfob.app.repos.machineAccess.revoke(otherJob, { vehicleId: tesla });
  assert.equal((await call(other, 'GET', `/api/vehicles/${tesla}/odometer`)).status, 404, 'revoked at once');
});

test('a bearer token beside a session cookie is refused as ambiguous', async (t) => {
  const { server, alex, tesla, fleetJob } = await machineSetup(t);
  const token = await server.token(fleetJob, ['vehicle.read_status']);
  const answer = await alex.browser.request('GET', `/api/vehicles/${tesla}/odometer`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, 'invalid_request');
  assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
});

test('machine calls are audited and counted per client id, and rate limited per client id', async (t) => {
  const { server, keyfob, userId, tesla, call, fleetJob, otherJob } = await machineSetup(t, {
    RATE_LIMIT_API_PER_MACHINE_CLIENT: '3',
  });
  const token = await server.token(fleetJob, ['vehicle.read_status']);
  for (let i = 0; i < 3; i++) assert.equal((await call(token, 'GET', `/api/vehicles/${tesla}/odometer`)).status, 200);
  const limited = await call(token, 'GET', `/api/vehicles/${tesla}/odometer`);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  const other = await server.token(otherJob, ['vehicle.read_list']);
  assert.equal((await call(other, 'GET', '/api/vehicles')).status, 200, 'another client keeps its own allowance');
  await call('not.a.jwt', 'GET', `/api/vehicles/${tesla}/odometer`);
  await keyfob.app.repos.audit.flush();
  const events = await keyfob.app.db.auditEvent.findMany({ where: { action: 'machine_call' }, orderBy: { id: 'asc' } });
  const mine = events.filter((event) => event.clientId === `machine:${fleetJob}`);
  assert.deepEqual(
    mine.map((event) => [event.endpoint, event.status, event.outcome, event.userId, event.vehicleId]),
    [
      ...Array.from({ length: 3 }, () => ['/api/vehicles/:vehicleId/odometer', 200, 'ok', userId, tesla]),
      ['/api/vehicles/:vehicleId/odometer', 429, 'refused', null, null],
    ],
  );
  assert.ok(events.some((event) => event.clientId === 'machine:unverified' && event.status === 401));
  const metrics = await (await fetch(`${keyfob.url}/metrics`)).text();
  assert.ok(
    metrics.includes(
      `keyfob_machine_requests_total{client_id="${fleetJob}",scope="vehicle.read_status",outcome="ok"} 3`,
    ),
    'counted per client id and scope',
  );
  assert.match(metrics, /keyfob_rate_limited_total\{area="api",key="client"\} 1/);
});
