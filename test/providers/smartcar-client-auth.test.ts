/**
 * Smartcar client authentication exactly as Smartcar's SDKs send it: HTTP Basic with the raw UUID client id and
 * secret. A token endpoint that does not form-decode (the sandbox, as the stricter reading of the reference) refuses
 * what openid-client's RFC 6749 `ClientSecretBasic` sends (`-` as `%2D`) and accepts Keyfob's.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import * as oauth from 'openid-client';
import { smartcarBasicAuth } from '../../src/providers/smartcar/client-authentication.ts';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';
import { consent, pkcePair } from '../helpers/sandbox-flow.ts';
import { ALEX, authorizeUrl, TESLA } from '../sandbox/sandbox-fixture.ts';

test('a UUID client is accepted by a token endpoint that does not form-decode; the RFC encoding is refused', async (t) => {
  const clientId = randomUUID();
  const secret = randomUUID();
  const redirectUri = 'http://app.test/auth/callback';
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId, secrets: [secret], redirectUris: [redirectUri] }],
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  const server = { issuer: sandbox.url, token_endpoint: `${sandbox.url}/oauth/token` };

  async function exchangeWith(clientAuth: oauth.ClientAuth) {
    const { verifier, challenge } = pkcePair();
    const redirect = await consent(
      authorizeUrl(sandbox.url, {
        client_id: clientId,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st',
      }),
      { account: ALEX, vehicles: [TESLA] },
    );
    const configuration = new oauth.Configuration(server, clientId, undefined, clientAuth);
    oauth.allowInsecureRequests(configuration);
    return oauth.authorizationCodeGrant(configuration, new URL(redirect.href.replace(/^[^?]*/, redirectUri)), {
      pkceCodeVerifier: verifier,
      expectedState: 'st',
    });
  }

  // The sandbox answers 401 invalid_client with a Basic challenge, which openid-client reports as such.
  await assert.rejects(exchangeWith(oauth.ClientSecretBasic(secret)), (error: unknown) => {
    assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, String(error));
    assert.equal(error.status, 401);
    return true;
  });
  assert.equal(sandbox.state.calls.get('token.authorization_code'), 0, 'refused at client authentication');
  const tokens = await exchangeWith(smartcarBasicAuth(secret));
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token);
});
