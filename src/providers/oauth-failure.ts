/**
 * The one translator from openid-client failures to what Keyfob does next:
 * - the provider refused the grant (`invalid_grant`): the user must connect again;
 * - the provider failed (5xx, unreadable answer, network, timeout) or asks to slow down (429): try later, stored
 *   tokens untouched;
 * - Keyfob is misconfigured (`invalid_client` ...): an operator must act.
 */
import * as oauth from 'openid-client';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export type OAuthFailure =
  | 'grant_refused'
  | 'provider_unavailable'
  | 'provider_timeout'
  | 'provider_rate_limited'
  | 'client_misconfigured';

export function classifyOAuthFailure(error: unknown): OAuthFailure {
  if (error instanceof oauth.ResponseBodyError) {
    if (error.error === 'invalid_grant') return 'grant_refused';
    if (error.status === 429) return 'provider_rate_limited';
    if (error.status >= 500) return 'provider_unavailable';
    return 'client_misconfigured';
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) return 'client_misconfigured';
  // openid-client wraps its request timeout as a ClientError with code OAUTH_TIMEOUT (cause: TimeoutError).
  const { name, code, cause } = (error ?? {}) as { name?: string; code?: string; cause?: { name?: string } };
  if (code === 'OAUTH_TIMEOUT' || name === 'TimeoutError' || name === 'AbortError' || cause?.name === 'TimeoutError') {
    return 'provider_timeout';
  }
  return 'provider_unavailable';
}

const DEFAULT_RETRY_AFTER_SECONDS = 2;

/** The provider's own `retry-after` (seconds form) on a 429 from its token endpoint, within 1 s to 1 h. */
function providerRetryAfter(cause: unknown): number {
  const header = cause instanceof oauth.ResponseBodyError ? cause.response.headers.get('retry-after') : null;
  const seconds = Number(header);
  if (!header || !Number.isFinite(seconds)) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(Math.max(Math.ceil(seconds), 1), 3600);
}

/** A KeyfobError for a failure that is not a refused grant. */
export function oauthFailureError(failure: OAuthFailure, cause: unknown): KeyfobError {
  if (failure === 'provider_timeout') {
    return new KeyfobError(ERROR_CODES.UPSTREAM_TIMEOUT, 504, 'the vehicle provider did not answer in time', { cause });
  }
  if (failure === 'provider_rate_limited') {
    return new KeyfobError(ERROR_CODES.RATE_LIMITED, 429, 'the vehicle provider asks to slow down; try again shortly', {
      cause,
      details: { retryAfterSeconds: providerRetryAfter(cause) },
    });
  }
  if (failure === 'client_misconfigured') {
    return new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the vehicle provider refused Keyfob', {
      cause,
      expose: true,
    });
  }
  return new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the vehicle provider is unavailable', { cause });
}
