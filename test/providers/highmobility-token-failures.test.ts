/**
 * The written rule for High Mobility's token errors (every one is 400 `invalid_request`): which mean the consent is
 * gone, which mean Keyfob is misconfigured, and which mean the provider failed. An answer the rule does not know
 * must never destroy a consent. (The end-to-end side is in test/e2e/highmobility.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyfobError } from '../../src/errors/keyfob-error.ts';
import {
  classifyHighMobilityFailure,
  HighMobilityTokenError,
} from '../../src/providers/highmobility/token-endpoint.ts';

const refused = (status: number, description: string) =>
  classifyHighMobilityFailure(new HighMobilityTokenError(status, 'invalid_request', description));

test('High Mobility token errors: consent gone, client misconfigured, or provider failed', () => {
  for (const description of [
    'refresh_token is invalid',
    'code is invalid',
    'Refresh token expired',
    'authorization was revoked',
  ]) {
    assert.equal(refused(400, description), 'grant_refused', description);
  }
  for (const description of [
    'client_secret is invalid',
    "client_id can't be blank",
    'client_assertion is signed with an expired key',
  ]) {
    assert.equal(refused(400, description), 'client_misconfigured', description);
  }
  for (const description of ['Injected fault.', 'Something went wrong', '']) {
    assert.equal(refused(400, description), 'provider_unavailable', `unknown: "${description}" keeps the tokens`);
  }
  assert.equal(refused(503, 'refresh_token is invalid'), 'provider_unavailable', 'a 5xx is never the consent');
  assert.equal(refused(429, ''), 'provider_rate_limited');
  assert.equal(classifyHighMobilityFailure(new KeyfobError('upstream_timeout', 504, 'slow')), 'provider_timeout');
  assert.equal(classifyHighMobilityFailure(new Error('socket hang up')), 'provider_unavailable');
});
