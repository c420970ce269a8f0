import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSandbox } from '../../src/sandbox/build-sandbox.ts';
import {
  basicAuth,
  CLIENT_ID,
  CLIENT_SECRET,
  obtainCode,
  obtainTokens,
  REDIRECT_URI,
  sandboxFixture,
  tokenRequest,
} from './sandbox-fixture.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function apiStatus(sandboxUrl: string, accessToken: string) {
  const response = await fetch(`${sandboxUrl}/v2.0/user`, { headers: { authorization: `Bearer ${accessToken}` } });
  return response.status;
}

test('the code exchange answers Smartcar-shaped tokens, never cached', async (t) => {
  const sandbox = await sandboxFixture(t);
  const { code, verifier } = await obtainCode(sandbox.url);
  const response = await fetch(`${sandbox.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth() },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 7200);
  assert.match(String(body.access_token), UUID);
  assert.match(String(body.refresh_token), UUID);
  assert.equal(sandbox.state.calls.get('token.authorization_code'), 1);
});

test('client authentication: Basic only, a wrong secret is invalid_client with 401', async (t) => {
  const sandbox = await sandboxFixture(t);
  const { code, verifier } = await obtainCode(sandbox.url);
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
  const wrong = await tokenRequest(sandbox.url, form, basicAuth(CLIENT_ID, 'not-the-secret'));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_client');
  const inBody = await tokenRequest(sandbox.url, { ...form, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, '');
  assert.equal(inBody.status, 401, 'client_secret_post is not accepted at /oauth/token');
  const right = await tokenRequest(sandbox.url, form);
  assert.equal(right.status, 200, 'the failed attempts did not burn the code');
});

test('a code is single use: the replay is refused and revokes the tokens it issued', async (t) => {
  const sandbox = await sandboxFixture(t);
  const { code, verifier } = await obtainCode(sandbox.url);
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
  const first = await tokenRequest(sandbox.url, form);
  assert.equal(first.status, 200);
  assert.equal(await apiStatus(sandbox.url, String(first.body.access_token)), 200);
  const replay = await tokenRequest(sandbox.url, form);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  assert.equal(await apiStatus(sandbox.url, String(first.body.access_token)), 401, 'access token revoked');
  const refresh = await tokenRequest(sandbox.url, {
    grant_type: 'refresh_token',
    refresh_token: String(first.body.refresh_token),
  });
  assert.equal(refresh.body.error, 'invalid_grant', 'refresh token revoked');
});

test('a code expires after 10 minutes', async (t) => {
  const sandbox = await sandboxFixture(t);
  const { code, verifier } = await obtainCode(sandbox.url);
  sandbox.state.clock.advance(601);
  const late = await tokenRequest(sandbox.url, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  assert.equal(late.body.error, 'invalid_grant');
});

test('the exchange checks redirect_uri and the PKCE verifier', async (t) => {
  const sandbox = await sandboxFixture(t);
  const a = await obtainCode(sandbox.url);
  const wrongRedirect = await tokenRequest(sandbox.url, {
    grant_type: 'authorization_code',
    code: a.code,
    redirect_uri: `${REDIRECT_URI}x`,
    code_verifier: a.verifier,
  });
  assert.equal(wrongRedirect.body.error, 'invalid_grant');
  const b = await obtainCode(sandbox.url);
  const wrongVerifier = await tokenRequest(sandbox.url, {
    grant_type: 'authorization_code',
    code: b.code,
    redirect_uri: REDIRECT_URI,
    code_verifier: a.verifier,
  });
  assert.equal(wrongVerifier.body.error, 'invalid_grant');
  const c = await obtainCode(sandbox.url);
  const noVerifier = await tokenRequest(sandbox.url, {
    grant_type: 'authorization_code',
    code: c.code,
    redirect_uri: REDIRECT_URI,
  });
  assert.equal(noVerifier.body.error, 'invalid_grant');
});

test('every refresh rotates both tokens', async (t) => {
  const sandbox = await sandboxFixture(t);
  const first = await obtainTokens(sandbox.url);
  const second = await tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(second.status, 200);
  assert.notEqual(second.body.access_token, first.access_token);
  assert.notEqual(second.body.refresh_token, first.refresh_token);
  assert.equal(await apiStatus(sandbox.url, String(second.body.access_token)), 200);
  assert.equal(sandbox.state.calls.get('token.refresh_token'), 1);
});

test('grace mode: a used refresh token works for 60 seconds, then is refused without revoking the grant', async (t) => {
  const sandbox = await sandboxFixture(t);
  const first = await obtainTokens(sandbox.url);
  const rotated = await tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  sandbox.state.clock.advance(30);
  const withinGrace = await tokenRequest(sandbox.url, {
    grant_type: 'refresh_token',
    refresh_token: first.refresh_token,
  });
  assert.equal(withinGrace.status, 200);
  sandbox.state.clock.advance(31);
  const afterGrace = await tokenRequest(sandbox.url, {
    grant_type: 'refresh_token',
    refresh_token: first.refresh_token,
  });
  assert.equal(afterGrace.status, 400);
  assert.equal(afterGrace.body.error, 'invalid_grant');
  const newest = await tokenRequest(sandbox.url, {
    grant_type: 'refresh_token',
    refresh_token: String(rotated.body.refresh_token),
  });
  assert.equal(newest.status, 200, 'the grant survives a late reuse in grace mode');
});

test('strict mode: reusing a refresh token revokes the whole grant', async (t) => {
  const sandbox = await sandboxFixture(t, { refreshReuseGraceSeconds: 0 });
  const first = await obtainTokens(sandbox.url);
  const rotated = await tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(rotated.status, 200);
  const reuse = await tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  assert.equal(reuse.body.error, 'invalid_grant');
  const newest = await tokenRequest(sandbox.url, {
    grant_type: 'refresh_token',
    refresh_token: String(rotated.body.refresh_token),
  });
  assert.equal(newest.body.error, 'invalid_grant', 'the newest refresh token died with the grant');
  assert.equal(await apiStatus(sandbox.url, String(rotated.body.access_token)), 401, 'and so did the access token');
});

test('tokens expire after their configured lifetimes', async (t) => {
  const sandbox = await sandboxFixture(t, { accessTokenTtlSeconds: 5, refreshTokenTtlSeconds: 20 });
  const tokens = await obtainTokens(sandbox.url);
  assert.equal(tokens.expires_in, 5);
  sandbox.state.clock.advance(6);
  const expired = await fetch(`${sandbox.url}/v2.0/user`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(expired.status, 401);
  assert.equal(((await expired.json()) as { type: string }).type, 'AUTHENTICATION');
  sandbox.state.clock.advance(15);
  const refresh = await tokenRequest(sandbox.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  assert.equal(refresh.body.error, 'invalid_grant', 'refresh token past its lifetime');
});

test('unknown grant types and missing parameters are OAuth errors', async (t) => {
  const sandbox = await sandboxFixture(t);
  assert.equal((await tokenRequest(sandbox.url, { grant_type: 'password' })).body.error, 'unsupported_grant_type');
  assert.equal((await tokenRequest(sandbox.url, { grant_type: 'refresh_token' })).body.error, 'invalid_request');
  assert.equal((await tokenRequest(sandbox.url, { grant_type: 'authorization_code' })).body.error, 'invalid_request');
});

test('client credentials: 1 hour application tokens, no refresh token, up to three secrets at once', async (t) => {
  const sandbox = await sandboxFixture(t, {}, ['old-secret', 'new-secret']);
  const request = (secret: string) =>
    fetch(`${sandbox.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: secret }),
    });
  for (const secret of ['old-secret', 'new-secret']) {
    const response = await request(secret);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.expires_in, 3600);
    assert.equal(body.refresh_token, undefined);
  }
  const wrong = await request('other');
  assert.equal(wrong.status, 401);
  assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
  const badGrant = await fetch(`${sandbox.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password',
  });
  assert.equal(badGrant.status, 400);
});

test('a client with more than three secrets is refused at start', async () => {
  await assert.rejects(
    () => buildSandbox({ clients: [{ clientId: 'x', secrets: ['a', 'b', 'c', 'd'], redirectUris: [] }] }),
    /1 to 3 secrets/,
  );
});
