/**
 * `POST /v1/access_tokens` (JSON) and `DELETE /v1/access_tokens` (revocation), and the rule that says what a
 * failure means. High Mobility answers every token error with 400 `invalid_request` and a sentence, so the status
 * and the sentence decide:
 * - 5xx, 429, a timeout, a network failure or an unreadable answer: the provider failed; stored tokens stay
 *   untouched and the browser gets 502/504/429;
 * - a 400 or 401 whose description says the refresh token, the code, the authorization or the consent is invalid,
 *   expired, revoked, removed or unknown: the consent is gone (`grant_refused`, the vehicle needs reconnecting);
 * - a 400 or 401 whose description names the client (`client_id`, `client_secret`, `client_assertion`, a key): Keyfob
 *   is misconfigured; an operator must act, tokens untouched;
 * - any other 4xx: the provider failed. An answer Keyfob cannot read must never destroy a consent.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Token endpoint)
 */
import { KeyfobError } from '../../errors/keyfob-error.ts';
import type { OAuthFailure } from '../oauth-failure.ts';
import { callUpstream, jsonOf } from '../upstream-client.ts';

export class HighMobilityTokenError extends Error {
  override name = 'HighMobilityTokenError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`High Mobility token endpoint answered ${status} ${error}`);
  }
}

const CONSENT_GONE =
  /\b(refresh_token|refresh token|code|authorization|consent|grant)\b.*\b(invalid|expired|revoked|removed|not found|unknown|used)\b/i;
const CLIENT_FAULT = /\b(client_id|client_secret|client_assertion|client|key)\b/i;

export function classifyHighMobilityFailure(error: unknown): OAuthFailure {
  if (error instanceof HighMobilityTokenError) {
    if (error.status === 429) return 'provider_rate_limited';
    if (error.status >= 500) return 'provider_unavailable';
    if (error.status === 400 || error.status === 401) {
      if (CLIENT_FAULT.test(error.description) && !/\b(refresh_token|code)\b/i.test(error.description)) {
        return 'client_misconfigured';
      }
      if (CONSENT_GONE.test(error.description)) return 'grant_refused';
    }
    return 'provider_unavailable';
  }
  if (error instanceof KeyfobError && error.statusCode === 504) return 'provider_timeout';
  return 'provider_unavailable';
}

export interface HighMobilityTokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  status?: string;
}

export async function postTokenRequest(
  apiUrl: string,
  body: Record<string, string>,
  timeoutMs: number,
): Promise<HighMobilityTokenAnswer> {
  const answer = await callUpstream({
    method: 'POST',
    url: `${apiUrl}/v1/access_tokens`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    timeoutMs,
  });
  const parsed = jsonOf<Record<string, unknown>>(answer, 'token answer');
  if (answer.status !== 200 && answer.status !== 201) {
    throw new HighMobilityTokenError(
      answer.status,
      typeof parsed.error === 'string' ? parsed.error : 'unknown',
      typeof parsed.error_description === 'string' ? parsed.error_description : '',
    );
  }
  if (typeof parsed.access_token !== 'string' || parsed.access_token.length === 0) {
    throw new HighMobilityTokenError(502, 'invalid_response', 'the token answer holds no access token');
  }
  return parsed as unknown as HighMobilityTokenAnswer;
}

/** RFC 7009 revocation as High Mobility takes it: 200 with an empty body. */
export async function revokeToken(apiUrl: string, body: Record<string, string>, timeoutMs: number): Promise<number> {
  const answer = await callUpstream({
    method: 'DELETE',
    url: `${apiUrl}/v1/access_tokens`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs,
  });
  return answer.status;
}
