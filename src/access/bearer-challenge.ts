/**
 * RFC 6750 answers for the bearer path. The JSON body says as little as the header: which check failed is logged
 * (the `reason`, at info), never answered, so a caller probing with forged tokens learns nothing from the answer.
 * @see RFC 6750 section 3, RFC 8725 section 3.1
 */
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export const REALM = 'keyfob';

/** 401 `invalid_token`; `reason` goes to the log only. */
export function invalidToken(reason: string): KeyfobError {
  return new KeyfobError(ERROR_CODES.INVALID_TOKEN, 401, 'the access token is missing, expired or invalid', {
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token"` },
    logDetail: reason,
  });
}

/** 400 `invalid_request`: a malformed Authorization header, or a bearer token and a session cookie at once. */
export function invalidRequest(message: string): KeyfobError {
  return new KeyfobError(ERROR_CODES.INVALID_REQUEST, 400, message, {
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_request"` },
  });
}
