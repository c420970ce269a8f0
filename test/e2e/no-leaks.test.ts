/**
 * The product's promise, tested whole: after a run through every flow of both providers (Smartcar, and High
 * Mobility's consent and fleet paths with an ES256 client assertion), no token, code or verifier a provider issued
 * appears in anything the browser saw (bodies, headers, cookies), in the database in plaintext, or in the logs;
 * neither do the client secrets or the assertion's private key; nor does a full VIN in the database or the logs.
 * A second run signs in with an OpenID Connect identity provider (the real oidc-provider) and holds its tokens and
 * client secret to the same rule. The first run also reads CarsXE data (its API key is held to the rule too) and
 * has a machine client call with JWT access tokens (held to it as well, forged ones included).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { ALL_SCOPES } from '../../src/access/scope-table.ts';
import { fleetClearanceOf, fleetCommands } from '../../src/fleet/clearance-commands.ts';
import { KEYFOB_RESOURCE, startAuthorizationServer } from '../helpers/authorization-server.ts';
import { Browser } from '../helpers/browser.ts';
import {
  ALEX_ACCOUNT,
  connectedBrowser,
  expireStoredAccessTokens,
  SAM_ACCOUNT,
  sandboxControl,
} from '../helpers/connected.ts';
import { HM_CARS, highMobilityState } from '../helpers/highmobility.ts';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

const VINS = ['5YJ3E1EA7NF123456', '2T3P1RFV5MC154321', '1FTVW1EL3PWG76543', 'WBA5R1C05LFH98765'];

test('no secret reaches the browser, the database in plaintext, or the logs', async (t) => {
  const privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const authorizationServer = await startAuthorizationServer(t, {
    clients: [{ id: 'fleet-job', scopes: [...ALL_SCOPES] }],
  });
  const keyfob = await startKeyfobUnderTest(t, {
    LOG_LEVEL: 'trace',
    HIGHMOBILITY_PRIVATE_KEY: privateKeyPem,
    HIGHMOBILITY_PRIVATE_KEY_ID: 'leak-test-key',
    MACHINE_ISSUER: authorizationServer.issuer,
    MACHINE_AUDIENCE: KEYFOB_RESOURCE,
  });
  const browsers: Browser[] = [];
  const alex = await connectedBrowser(keyfob, { account: ALEX_ACCOUNT });
  const sam = await connectedBrowser(keyfob, { account: SAM_ACCOUNT });
  browsers.push(alex.browser, sam.browser);
  const tesla = alex.byMake('TESLA').id;
  for (const path of [
    '/attributes',
    '/vin',
    '/odometer',
    '/location',
    '/battery',
    '/charge',
    '/security',
    '/permissions',
  ]) {
    await alex.browser.request('GET', `/api/vehicles/${tesla}${path}`);
  }
  // A command makes the sandbox send a signed webhook: its body (Alex's ids, the car's location) is stored sealed.
  await alex.browser.request('POST', `/api/vehicles/${tesla}/security`, { body: { action: 'UNLOCK' } });
  for (let i = 0; i < 100 && (await keyfob.app.db.vehicleSignalHistory.count()) === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok((await keyfob.app.db.vehicleSignalHistory.count()) > 0, 'the webhook was stored and applied');
  await alex.browser.request('POST', `/api/vehicles/${tesla}/batch`, {
    body: { requests: [{ path: '/vin' }, { path: '/odometer' }] },
  });
  // CarsXE, by vehicle for the browser; by vehicle and by VIN for a machine client, with good and forged tokens.
  for (const path of ['/specs', '/history', '/recalls', '/market-value']) {
    assert.equal((await alex.browser.request('GET', `/api/vehicles/${tesla}${path}`)).status, 200, path);
  }
  await alex.browser.request('GET', '/api/obd-codes/P0420');
  await keyfob.app.repos.machineAccess.grant('fleet-job', { userId: alex.session.user.id });
  const machineTokens = [
    await authorizationServer.token('fleet-job', [...ALL_SCOPES]),
    await authorizationServer.token('fleet-job', ['vehicle.read_list']),
    await authorizationServer.forge({ scope: 'vehicle.read_status' }, { key: 'foreign' }),
  ];
  for (const token of machineTokens) {
    for (const path of [
      `/api/vehicles/${tesla}/odometer`,
      `/api/vehicles/${tesla}/history`,
      `/api/vin/${VINS[0]}/specs`,
    ]) {
      await fetch(`${keyfob.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  // High Mobility: a consented car beside the Smartcar ones, a pending BMW, and a fleet car by assertion.
  await alex.browser.connectHighMobility({ vehicle: HM_CARS.alexRav4 });
  await sam.browser.connectHighMobility({ vehicle: HM_CARS.samBmw });
  const hmVehicles = async (browser: Browser) =>
    ((await browser.request('GET', '/auth/session')).json.vehicles as Array<{ id: string; provider: string }>).filter(
      (vehicle) => vehicle.provider === 'highmobility',
    );
  const [rav4] = await hmVehicles(alex.browser);
  const [bmw] = await hmVehicles(sam.browser);
  for (const path of ['/odometer', '/location', '/fuel', '/security', '/battery']) {
    await alex.browser.request('GET', `/api/vehicles/${rav4?.id}${path}`);
  }
  await sam.browser.request('GET', `/api/vehicles/${bmw?.id}/odometer`); // 422 pending
  const adapter = keyfob.app.providerFor('highmobility');
  const fleet = fleetCommands(keyfob.app, fleetClearanceOf(keyfob.app, adapter));
  await fleet.add(alex.session.user.id, 'tesla', [VINS[0] as string]);
  keyfob.sandbox?.state.clock.advance(6);
  await fleet.list();
  const fleetTesla = (await hmVehicles(alex.browser)).find((vehicle) => vehicle.id !== rav4?.id);
  const fleetRead = await alex.browser.request('GET', `/api/vehicles/${fleetTesla?.id}/odometer`);
  assert.equal(fleetRead.status, 200, `the fleet car is read with the fleet token: ${fleetRead.text}`);
  await expireStoredAccessTokens(keyfob); // a refresh (both providers)
  await alex.browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  await alex.browser.request('GET', `/api/vehicles/${rav4?.id}/odometer`);
  keyfob.sandbox?.state.clock.advance(7201); // an upstream 401, refresh and retry
  await alex.browser.request('GET', `/api/vehicles/${tesla}/odometer`);
  await sandboxControl(keyfob, 'faults', { target: 'token', kind: 'error', status: 500, count: 1 });
  await expireStoredAccessTokens(keyfob); // a failed refresh
  await sam.browser.request('GET', `/api/vehicles/${sam.byMake('FORD').id}/odometer`);
  await alex.browser.request('DELETE', `/api/vehicles/${alex.byMake('TOYOTA').id}`);
  await alex.browser.request('DELETE', `/api/vehicles/${rav4?.id}`); // revoked at High Mobility
  const denied = new Browser(keyfob.url);
  browsers.push(denied);
  await denied.connect({ decision: 'deny' });
  const replay = new Browser(keyfob.url);
  browsers.push(replay);
  const login = await replay.request('GET', '/auth/login?provider=smartcar', { csrf: false });
  const { consent } = await import('../helpers/sandbox-flow.ts');
  const callback = await consent(login.headers.get('location') ?? '', { account: ALEX_ACCOUNT });
  await replay.request('GET', callback.pathname + callback.search, { csrf: false });
  await replay.request('GET', callback.pathname + callback.search, { csrf: false });
  await alex.browser.request('POST', '/auth/logout');

  const hm = highMobilityState(keyfob.sandbox);
  const hmSecrets = hm.issuedSecrets();
  assert.ok(
    hmSecrets.some((secret) => secret.split('.').length === 3),
    'a fleet token (JWT) was issued',
  );
  assert.ok((keyfob.sandbox?.state.calls.get('highmobility.token.client_credentials.assertion') ?? 0) >= 1);
  assert.ok((keyfob.sandbox?.state.calls.get('highmobility.token.refresh_token') ?? 0) >= 1);
  const secrets = [...(keyfob.sandbox?.state.tokens.issuedSecrets() ?? []), ...hmSecrets];
  assert.ok(secrets.length >= 10, `the run issued secrets to look for (${secrets.length})`);
  // The key's base64 body, line by line: no fragment of it may appear anywhere.
  const keyLines = privateKeyPem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
  const clientSecret = keyfob.config.smartcar.clientSecret;
  const hmClientSecret = keyfob.config.highmobility.clientSecret;
  const carsxeKey = keyfob.config.carsxe?.apiKey as string;
  const amt = keyfob.config.smartcar.webhookAmt as string;
  const forbidden = [...secrets, clientSecret, hmClientSecret, carsxeKey, amt, ...machineTokens, ...keyLines, ...VINS];

  // The browser may read its own car's VIN through /api/vehicles/:id/vin (the owner asked for it); every other
  // answer masks it, which /auth/session's test checks. Tokens, codes, verifiers and the client secret: never.
  const seen = browsers.map((browser) => browser.everythingSeen()).join('\n');
  for (const secret of [...secrets, clientSecret, hmClientSecret, carsxeKey, amt, ...keyLines]) {
    const at = seen.indexOf(secret);
    assert.ok(at === -1, `the browser saw ${secret.slice(0, 6)}… in: ${seen.slice(Math.max(0, at - 300), at + 60)}`);
  }

  const tables = [
    'users',
    'identities',
    'grants',
    'vehicles',
    'audit_events',
    'app_tokens',
    'machine_access',
    'webhook_deliveries',
    'vehicle_signals',
    'vehicle_signal_history',
    '_prisma_migrations',
  ];
  const rows: unknown[] = [];
  for (const table of tables)
    rows.push(
      ...(await keyfob.app.db.$queryRawUnsafe<unknown[]>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`)),
    );
  const dump = JSON.stringify(rows);
  assert.ok(dump.includes('kv1.'), 'the dump holds vault ciphertext');
  for (const secret of forbidden)
    assert.ok(!dump.includes(secret), `the database holds ${secret.slice(0, 6)}… in plaintext`);

  const logs = keyfob.logs.join('');
  const requestLines = logs.split('\n').filter((line) => line.includes('"request completed"')).length;
  assert.ok(requestLines >= 20, `the log holds the whole run (${requestLines} request lines)`);
  assert.match(logs, /"token refreshed"/, 'including the refreshes');
  for (const secret of forbidden) assert.ok(!logs.includes(secret), `the logs hold ${secret.slice(0, 6)}…`);
});

test('no identity provider token or client secret reaches the browser, the database in plaintext, or the logs', async (t) => {
  const { freePort } = await import('../helpers/free-port.ts');
  const { IDP_CLIENT_ID, IDP_CLIENT_SECRET, IdentityProviderBrowser, startIdentityProvider } = await import(
    '../helpers/identity-provider.ts'
  );
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startIdentityProvider(t, publicUrl);
  const keyfob = await startKeyfobUnderTest(t, {
    LOG_LEVEL: 'trace',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: IDP_CLIENT_ID,
    OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
    OIDC_USERINFO: 'true',
  });
  const browser = new Browser(keyfob.url);
  const signIn = async () => {
    const login = await browser.request('GET', '/auth/login', { csrf: false });
    const idpBrowser = new IdentityProviderBrowser();
    const back = await idpBrowser.signIn(login.headers.get('location') ?? '', 'dana');
    await browser.request('GET', `${back.pathname}${back.search}`, { csrf: false });
    return idpBrowser;
  };
  // Sign in, connect a car, use it; the company signs the person out (back-channel); sign in again, log out here.
  const first = await signIn();
  await browser.connect({ account: ALEX_ACCOUNT, vehicles: ['3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11'] });
  const [car] = (await browser.request('GET', '/auth/session')).json.vehicles;
  await browser.request('GET', `/api/vehicles/${car.id}/odometer`);
  await first.signOutAtProvider(idp.issuer);
  await signIn();
  const logout = await browser.request('POST', '/auth/logout');
  const hint = new URL(logout.json.endSessionUrl).searchParams.get('id_token_hint') ?? '';

  const secrets = [...idp.issued, IDP_CLIENT_SECRET];
  assert.ok(idp.issued.length >= 4, `the run issued identity tokens to look for (${idp.issued.length})`);
  // The one documented exception: the ID token as id_token_hint in the end-session URL, after the session ended.
  const seen = browser.everythingSeen().replaceAll(encodeURIComponent(hint), '').replaceAll(hint, '');
  const logs = keyfob.logs.join('');
  const rows: unknown[] = [];
  for (const table of ['users', 'identities', 'oidc_sessions', 'grants', 'vehicles', 'audit_events']) {
    rows.push(
      ...(await keyfob.app.db.$queryRawUnsafe<unknown[]>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`)),
    );
  }
  const dump = JSON.stringify(rows);
  assert.match(logs, /"back-channel logout"/, 'the run includes a back-channel logout');
  for (const secret of secrets) {
    assert.ok(!seen.includes(secret), `the browser saw ${secret.slice(0, 6)}…`);
    assert.ok(!logs.includes(secret), `the logs hold ${secret.slice(0, 6)}…`);
    assert.ok(!dump.includes(secret), `the database holds ${secret.slice(0, 6)}… in plaintext`);
  }
});
