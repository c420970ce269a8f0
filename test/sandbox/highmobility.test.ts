/**
 * The High Mobility simulator's conformance to the reference, over HTTP: the consent page with `app_id`, the JSON
 * token endpoint and its 400 `invalid_request` errors, single-use codes with PKCE, rotation with strict (and grace)
 * reuse, revocation, vehicle info, Auto API data and its errors, fleet tokens by secret and by ES256 assertion
 * (every assertion rule), the clearance state machine, and fault injection.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import type { HighMobilitySandboxSettings } from '../../src/sandbox/highmobility/options.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { HM_CARS } from '../helpers/highmobility.ts';
import { highMobilityConsent } from '../helpers/sandbox-flow.ts';

const CLIENT_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const SECRET = randomUUID();
const APP_ID = 'abcdefabcdefabcdefabcdef';
const REDIRECT = 'http://app.test/callback';
const KEY_ID = 'key-0001';
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const TESLA_VIN = '5YJ3E1EA7NF123456';

async function hmSandbox(t: TestContext, settings: Partial<HighMobilitySandboxSettings> = {}) {
  const sandbox = await startSandbox({
    port: 0,
    clients: [],
    settings: { rateLimitPerMinute: 3 },
    simulators: {
      highmobility: {
        clients: [
          {
            clientId: CLIENT_ID,
            secrets: [SECRET],
            appId: APP_ID,
            redirectUris: [REDIRECT],
            keys: [{ id: KEY_ID, publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
          },
        ],
        settings,
      },
    },
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  return sandbox;
}

const api = (sandbox: RunningSandbox) => `${sandbox.url}/highmobility`;

function consentUrl(sandbox: RunningSandbox, params: Record<string, string | undefined>) {
  const url = new URL(`${api(sandbox)}/oauth/new`);
  const all = { client_id: CLIENT_ID, app_id: APP_ID, redirect_uri: REDIRECT, state: 's1', ...params };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

async function token(sandbox: RunningSandbox, body: Record<string, unknown>, method = 'POST') {
  const response = await fetch(`${api(sandbox)}/v1/access_tokens`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function consentTokens(sandbox: RunningSandbox, vehicle: string = HM_CARS.alexTesla) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = await highMobilityConsent(consentUrl(sandbox, { code_challenge: challenge }), { vehicle });
  const code = redirect.searchParams.get('code') ?? '';
  const answer = await token(sandbox, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return { ...answer.json, code, verifier } as Record<string, string> & { expires_in: number };
}

const get = (url: string, bearer?: string) =>
  fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

test('consent page: client, app_id and exact redirect_uri are checked before anything; approve and deny redirect', async (t) => {
  const sandbox = await hmSandbox(t);
  for (const params of [
    { client_id: 'nobody' },
    { app_id: undefined },
    { app_id: 'f'.repeat(24) },
    { redirect_uri: 'http://evil.test/cb' },
  ]) {
    const response = await fetch(consentUrl(sandbox, params), { redirect: 'manual' });
    assert.equal(response.status, 400, JSON.stringify(params));
    assert.equal(response.headers.get('location'), null, 'an error page, never a redirect');
  }
  const denied = await highMobilityConsent(consentUrl(sandbox, {}), { decision: 'deny' });
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('state'), 's1');
  const approved = await highMobilityConsent(consentUrl(sandbox, {}), { vehicle: HM_CARS.alexTesla });
  assert.equal(approved.searchParams.get('state'), 's1');
  assert.ok(approved.searchParams.get('code'));
});

test('token endpoint: JSON only, 400 invalid_request for every failure, single-use codes bound to PKCE', async (t) => {
  const sandbox = await hmSandbox(t);
  const form = await fetch(`${api(sandbox)}/v1/access_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(form.status, 400);
  assert.equal((await form.json()).error, 'invalid_request');
  const tokens = await consentTokens(sandbox);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.expires_in, 3600);
  assert.equal(tokens.status, 'approved');
  assert.match(tokens.scope ?? '', /diagnostics\.get\.odometer/);
  assert.ok(tokens.authorization_id);
  const replay = await token(sandbox, {
    grant_type: 'authorization_code',
    code: tokens.code,
    redirect_uri: REDIRECT,
    code_verifier: tokens.verifier,
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.deepEqual(
    [replay.status, replay.json],
    [400, { error: 'invalid_request', error_description: 'code is invalid' }],
  );
  const redirect = await highMobilityConsent(consentUrl(sandbox, { code_challenge: 'x'.repeat(43) }));
  const wrongVerifier = await token(sandbox, {
    grant_type: 'authorization_code',
    code: redirect.searchParams.get('code'),
    redirect_uri: REDIRECT,
    code_verifier: 'y'.repeat(43),
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.equal(wrongVerifier.json.error_description, 'code_verifier is invalid');
  const badSecret = await token(sandbox, {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
    client_id: CLIENT_ID,
    client_secret: 'no',
  });
  assert.deepEqual([badSecret.status, badSecret.json.error_description], [400, 'client_secret is invalid']);
  const oldSpelling = await token(sandbox, {
    grant_type: 'refresh',
    refresh_token: tokens.refresh_token,
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.equal(oldSpelling.json.error_description, 'grant_type is invalid');
  const info = await get(`${api(sandbox)}/v1/vehicleinfo`, tokens.access_token);
  assert.deepEqual(await info.json(), { vin: TESLA_VIN, sub: HM_CARS.alexTesla.split(':')[0] });
});

test('rotation: each refresh a new pair; strict reuse revokes the consent, grace reuse works a while', async (t) => {
  const strict = await hmSandbox(t);
  const first = await consentTokens(strict);
  const refresh = (sandbox: RunningSandbox, refreshToken: string) =>
    token(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT_ID,
      client_secret: SECRET,
    });
  const second = await refresh(strict, first.refresh_token as string);
  assert.equal(second.status, 200);
  assert.notEqual(second.json.refresh_token, first.refresh_token);
  assert.notEqual(second.json.access_token, first.access_token);
  const reuse = await refresh(strict, first.refresh_token as string);
  assert.equal(reuse.status, 400);
  assert.equal(
    (await get(`${api(strict)}/v1/vehicleinfo`, second.json.access_token)).status,
    401,
    'the consent is revoked',
  );
  assert.equal((await refresh(strict, second.json.refresh_token)).status, 400);

  const lenient = await hmSandbox(t, { refreshReuse: 'grace', refreshReuseGraceSeconds: 60 });
  const tokens = await consentTokens(lenient);
  assert.equal((await refresh(lenient, tokens.refresh_token as string)).status, 200);
  assert.equal((await refresh(lenient, tokens.refresh_token as string)).status, 200, 'within the grace period');
  lenient.state.clock.advance(61);
  assert.equal((await refresh(lenient, tokens.refresh_token as string)).status, 400, 'after it');
});

test('revocation (RFC 7009): DELETE with the refresh token ends the consent; 200 with an empty body', async (t) => {
  const sandbox = await hmSandbox(t);
  const tokens = await consentTokens(sandbox);
  const revoked = await token(
    sandbox,
    { token: tokens.refresh_token, client_id: CLIENT_ID, client_secret: SECRET },
    'DELETE',
  );
  assert.deepEqual([revoked.status, revoked.json], [200, undefined]);
  assert.equal((await get(`${api(sandbox)}/v1/vehicleinfo`, tokens.access_token)).status, 401);
  const again = await token(
    sandbox,
    { token: tokens.refresh_token, client_id: CLIENT_ID, client_secret: SECRET },
    'DELETE',
  );
  assert.equal(again.status, 200, 'an unknown token is not an error');
});

test('Auto API data: units, failure entries, and 401, 403, 404, 408, 422 and 429 as the reference lists', async (t) => {
  const sandbox = await hmSandbox(t);
  const tesla = await consentTokens(sandbox);
  const data = (vin: string, bearer?: string) => get(`${api(sandbox)}/v1/vehicle-data/autoapi-13/${vin}`, bearer);
  const answer = await (await data(TESLA_VIN, tesla.access_token)).json();
  assert.equal(answer.vin, TESLA_VIN);
  assert.equal(answer.brand, 'tesla');
  assert.equal(answer.diagnostics.odometer.data.unit, 'miles');
  assert.ok(answer.charging.battery_level.data > 0 && answer.charging.battery_level.data <= 1);
  assert.ok(Date.parse(answer.diagnostics.odometer.timestamp));
  assert.equal(answer.diagnostics.engine_oil_life.failure.reason, 'oem_error');
  assert.equal((await data(TESLA_VIN)).status, 401);
  assert.equal((await data(TESLA_VIN, 'forged')).status, 401);
  assert.equal((await data('2T3P1RFV5MC154321', tesla.access_token)).status, 403, 'no consent for another car');
  assert.equal((await data('WDD0000000000000X', tesla.access_token)).status, 404);
  const bmw = await consentTokens(sandbox, HM_CARS.samBmw);
  assert.equal(bmw.status, 'pending');
  const pending = await data('WBA5R1C05LFH98765', bmw.access_token);
  assert.equal(pending.status, 422);
  assert.equal((await pending.json()).errors[0].title, 'Pending');
  const hm = sandbox.state.simulators.get('highmobility') as { asleep: Set<string> };
  hm.asleep.add(TESLA_VIN);
  assert.equal((await data(TESLA_VIN, tesla.access_token)).status, 408);
  hm.asleep.delete(TESLA_VIN);
  let limited = await data(TESLA_VIN, tesla.access_token);
  for (let calls = 0; limited.status === 200 && calls < 3; calls++) limited = await data(TESLA_VIN, tesla.access_token);
  assert.equal(limited.status, 429, 'three calls a minute in this sandbox');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

async function assertion(claims: Record<string, unknown>, audience: string, header = { alg: 'ES256', typ: 'JWT' }) {
  const jwt = new SignJWT({ ver: 2, ...claims })
    .setProtectedHeader(header)
    .setIssuer(KEY_ID)
    .setAudience(audience)
    .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000))
    .setJti(typeof claims.jti === 'string' ? claims.jti : randomUUID());
  return jwt.sign(await importPKCS8(privatePem, 'ES256'));
}

test('fleet tokens by secret and by ES256 assertion: ver, iss, aud, iat within 30 s, single-use jti', async (t) => {
  const sandbox = await hmSandbox(t);
  const audience = `${api(sandbox)}/v1`;
  const bySecret = await token(sandbox, {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.equal(bySecret.status, 200);
  assert.equal(bySecret.json.expires_in, 300);
  assert.equal(bySecret.json.scope, 'fleet:clearance vehicle:eligibility-check vehicle:data');
  assert.equal(bySecret.json.refresh_token, undefined);
  const [header, payload] = (bySecret.json.access_token as string).split('.');
  assert.equal(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).alg, 'ES256');
  assert.equal(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()).ver, 1);

  const jti = randomUUID();
  const grant = (clientAssertion: string) =>
    token(sandbox, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    });
  const good = await grant(await assertion({ jti }, audience));
  assert.equal(good.status, 200, JSON.stringify(good.json));
  const refusals: Array<[string, Promise<string>]> = [
    ['a used jti', assertion({ jti }, audience)],
    ['another audience', assertion({}, 'https://api.high-mobility.com/v1')],
    ['an iat 31 s old', assertion({ iat: Math.floor(Date.now() / 1000) - 31 }, audience)],
    ['ver 1', assertion({ ver: 1 }, audience)],
  ];
  for (const [what, made] of refusals) {
    const refused = await grant(await made);
    assert.equal(refused.status, 400, what);
    assert.equal(refused.json.error, 'invalid_request', what);
  }
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  });
  const foreign = await new SignJWT({ ver: 2 })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(KEY_ID)
    .setAudience(audience)
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(await importPKCS8(otherKey.toString(), 'ES256'));
  assert.equal((await grant(foreign)).status, 400, 'signed by a key that is not the registered one');
});

test('fleet clearance: pending to approved or rejected, removal through revoking and canceling, filters, 404 and 409', async (t) => {
  const sandbox = await hmSandbox(t);
  const fleetToken = (
    await token(sandbox, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET })
  ).json.access_token as string;
  const call = (method: string, path: string, body?: unknown, bearer = fleetToken) =>
    fetch(`${api(sandbox)}/v1/fleets/vehicles${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const added = await call('POST', '', {
    vehicles: [
      { vin: TESLA_VIN, brand: 'tesla' },
      { vin: '2T3P1RFV5MC154321', brand: 'bmw' },
      { vin: '1FTVW1EL3PWG76543', brand: 'ford' },
    ],
  });
  assert.deepEqual(
    (await added.json()).vehicles.map((item: { status: string }) => item.status),
    ['pending', 'pending', 'pending'],
  );
  assert.equal((await call('DELETE', '/1FTVW1EL3PWG76543')).status, 200, 'a pending request is canceled');
  sandbox.state.clock.advance(6);
  const list = await (await call('GET', '')).json();
  const statusOf = (vin: string) => list.find((item: { vin: string }) => item.vin === vin).status;
  assert.equal(statusOf(TESLA_VIN), 'approved');
  assert.equal(statusOf('2T3P1RFV5MC154321'), 'rejected', 'the brand does not match the car');
  assert.equal(statusOf('1FTVW1EL3PWG76543'), 'canceled');
  const filter = encodeURIComponent(JSON.stringify({ status: { operator: 'eq', value: 'approved' } }));
  assert.deepEqual(
    (await (await call('GET', `?filter=${filter}`)).json()).map((item: { vin: string }) => item.vin),
    [TESLA_VIN],
  );
  const removed = await (await call('DELETE', `/${TESLA_VIN}`)).json();
  assert.equal(removed.status, 'revoking');
  sandbox.state.clock.advance(6);
  const one = await (await call('GET', `/${TESLA_VIN}`)).json();
  assert.equal(one.status, 'revoked');
  assert.deepEqual(
    one.changelog.map((entry: { status: string }) => entry.status),
    ['pending', 'approved', 'revoking', 'revoked'],
  );
  assert.equal((await call('DELETE', `/${TESLA_VIN}`)).status, 409);
  assert.equal((await call('GET', '/WDD0000000000000X')).status, 404);
  const consumer = await consentTokens(sandbox);
  assert.equal(
    (await call('GET', '', undefined, consumer.access_token)).status,
    401,
    'a consumer token is no fleet token',
  );
});

test('a fleet token reads an approved car only; faults and counters work as for Smartcar', async (t) => {
  const sandbox = await hmSandbox(t);
  const fleetToken = (
    await token(sandbox, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET })
  ).json.access_token as string;
  const data = () => get(`${api(sandbox)}/v1/vehicle-data/autoapi-13/${TESLA_VIN}`, fleetToken);
  assert.equal((await data()).status, 403, 'not in the fleet');
  await fetch(`${api(sandbox)}/v1/fleets/vehicles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fleetToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ vehicles: [{ vin: TESLA_VIN, brand: 'tesla' }] }),
  });
  sandbox.state.clock.advance(6);
  assert.equal((await data()).status, 200);
  sandbox.state.faults.add('highmobility.api', { kind: 'error', status: 503 }, 1);
  const faulted = await data();
  assert.equal(faulted.status, 503);
  assert.equal((await faulted.json()).errors[0].title, 'Injected fault');
  sandbox.state.faults.add('highmobility.token', { kind: 'error', status: 400 }, 1);
  const tokenFault = await token(sandbox, {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  assert.deepEqual(tokenFault.json, { error: 'invalid_request', error_description: 'Injected fault.' });
  assert.equal(sandbox.state.calls.get('faulted.highmobility.api'), 1);
  assert.equal(sandbox.state.calls.get('faulted.highmobility.token'), 1);
  assert.equal(sandbox.state.calls.get('highmobility.token.client_credentials'), 1, 'a faulted call is not served');
});
