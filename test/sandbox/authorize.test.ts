import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consent, pkcePair } from '../helpers/sandbox-flow.ts';
import { ALEX, authorizeUrl, RAV4, REDIRECT_URI, sandboxFixture, TESLA } from './sandbox-fixture.ts';

const withPkce = () => {
  const { challenge } = pkcePair();
  return { code_challenge: challenge, code_challenge_method: 'S256' };
};

test('an unknown client_id gets an error page, never a redirect', async (t) => {
  const sandbox = await sandboxFixture(t);
  const response = await fetch(authorizeUrl(sandbox.url, { ...withPkce(), client_id: 'nobody' }), {
    redirect: 'manual',
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /Unknown client_id/);
});

test('a redirect_uri that differs by one character gets an error page, never a redirect', async (t) => {
  const sandbox = await sandboxFixture(t);
  for (const redirect of [`${REDIRECT_URI}/`, REDIRECT_URI.replace('http:', 'https:'), `${REDIRECT_URI}?x=1`]) {
    const response = await fetch(authorizeUrl(sandbox.url, { ...withPkce(), redirect_uri: redirect }), {
      redirect: 'manual',
    });
    assert.equal(response.status, 400, redirect);
  }
});

test('malformed requests are sent back to the client with an OAuth error and the state', async (t) => {
  const sandbox = await sandboxFixture(t);
  const cases: Array<[Record<string, string | undefined>, string]> = [
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ state: undefined }, 'invalid_request'],
    [{ scope: 'read_odometer fly_car' }, 'invalid_scope'],
    [{ scope: '' }, 'invalid_request'],
    [{ mode: 'production' }, 'invalid_request'],
    [{ approval_prompt: 'sometimes' }, 'invalid_request'],
    [{ single_select: 'yes' }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge: 'too-short' }, 'invalid_request'],
  ];
  for (const [params, error] of cases) {
    const response = await fetch(authorizeUrl(sandbox.url, { ...withPkce(), ...params }), { redirect: 'manual' });
    assert.equal(response.status, 302, JSON.stringify(params));
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), error, JSON.stringify(params));
    if (params.state !== undefined || !('state' in params))
      assert.equal(location.searchParams.get('state'), 'state-123');
  }
});

test('PKCE is required by default and optional when configured so', async (t) => {
  const strict = await sandboxFixture(t);
  const refused = await fetch(authorizeUrl(strict.url, {}), { redirect: 'manual' });
  assert.equal(new URL(refused.headers.get('location') ?? '').searchParams.get('error'), 'invalid_request');

  const lenient = await sandboxFixture(t, { pkce: 'optional' });
  const location = await consent(authorizeUrl(lenient.url, {}));
  assert.ok(location.searchParams.get('code'));
});

test('approving returns a code and the state; denying returns access_denied', async (t) => {
  const sandbox = await sandboxFixture(t);
  const approved = await consent(authorizeUrl(sandbox.url, withPkce()), { account: ALEX });
  assert.match(approved.searchParams.get('code') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(approved.searchParams.get('state'), 'state-123');

  const denied = await consent(authorizeUrl(sandbox.url, withPkce()), { decision: 'deny' });
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('error_description'), 'User denied access to application.');
  assert.equal(denied.searchParams.get('state'), 'state-123');
  assert.equal(denied.searchParams.get('code'), null);
});

test('the consent page lists the account vehicles and marks required permissions', async (t) => {
  const sandbox = await sandboxFixture(t);
  const first = await fetch(
    authorizeUrl(sandbox.url, { ...withPkce(), scope: 'required:read_odometer read_location' }),
  );
  const requestId = /name="request" value="([^"]+)"/.exec(await first.text())?.[1] ?? '';
  const page = await fetch(`${sandbox.url}/oauth/authorize/account`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: requestId, account: ALEX }).toString(),
  });
  const html = await page.text();
  assert.match(html, /2022 TESLA Model 3/);
  assert.match(html, /2021 TOYOTA RAV4/);
  assert.match(html, /value="read_odometer" checked disabled/);
  assert.match(html, /value="read_location" checked>/);
  assert.doesNotMatch(html, /5YJ3E1EA7NF123456/, 'the consent page does not print VINs');
});

test('make and single_select_vin narrow the vehicles offered; no match is no_vehicles', async (t) => {
  const sandbox = await sandboxFixture(t);
  const onlyToyota = await consent(authorizeUrl(sandbox.url, { ...withPkce(), make: 'toyota' }), {
    account: ALEX,
    vehicles: [TESLA, RAV4],
  });
  assert.ok(onlyToyota.searchParams.get('code'), 'a vehicle outside the filter is ignored, the one inside granted');
  const none = await consent(authorizeUrl(sandbox.url, { ...withPkce(), make: 'FERRARI' }), { account: ALEX });
  assert.equal(none.searchParams.get('error'), 'no_vehicles');
});
