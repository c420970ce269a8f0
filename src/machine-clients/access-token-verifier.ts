/**
 * Validates a machine client's access token as RFC 9068 and RFC 8725 ask, with jose: the signature by the key its
 * `kid` names in the authorization server's key set, only the configured asymmetric algorithms (never `none`,
 * never an HMAC, so a public key can never serve as an HMAC secret), `typ` `at+jwt` when required, `iss`, `aud`,
 * `exp`, `nbf` and `iat` with 30 seconds of leeway, and a `client_id`. The route's scope is checked later, per
 * route (access/require-scope.ts).
 *
 * A token that fails is `invalid_token`, its reason logged and never answered. A key set that cannot be fetched
 * is 503 `machine_auth_unavailable`: the authorization server is away, which says nothing about the token.
 * @see RFC 9068 section 4, RFC 8725 sections 3.1 and 3.11
 */
import { errors, jwtVerify } from 'jose';
import { invalidToken } from '../access/bearer-challenge.ts';
import type { MachinePrincipal } from '../access/principal.ts';
import { parseScopes } from '../access/scope-table.ts';
import type { MachineSettings } from '../config/access-settings.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { authorizationServerKeys } from './authorization-server-keys.ts';

export const CLOCK_TOLERANCE_SECONDS = 30;
/** Client ids are logged, audited and used as metric labels: printable ASCII, bounded. */
export const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** jose's errors that mean "this token is not acceptable", as opposed to "the keys could not be fetched". */
const TOKEN_ERRORS = [
  errors.JOSEAlgNotAllowed,
  errors.JWSInvalid,
  errors.JWTInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JWTExpired,
  errors.JWTClaimValidationFailed,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
  errors.JWKInvalid,
];

function reasonOf(error: unknown): string | undefined {
  if (!TOKEN_ERRORS.some((kind) => error instanceof kind)) return undefined;
  const claim = (error as { claim?: string }).claim;
  return `${(error as { code: string }).code}${claim ? ` (${claim})` : ''}`;
}

export function createAccessTokenVerifier(
  settings: MachineSettings,
  options: { timeoutMs: number; onJwksFetch: () => void },
) {
  const keys = authorizationServerKeys(settings, { timeoutMs: options.timeoutMs, onFetch: options.onJwksFetch });
  return async function verify(token: string): Promise<MachinePrincipal> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: settings.algorithms,
        ...(settings.requireTyp ? { typ: 'at+jwt' } : {}),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'client_id'],
      }));
    } catch (error) {
      const reason = reasonOf(error);
      if (reason) throw invalidToken(reason);
      throw new KeyfobError(
        ERROR_CODES.MACHINE_AUTH_UNAVAILABLE,
        503,
        "the authorization server's signing keys could not be fetched; try again shortly",
        { cause: error, expose: true, details: { retryAfterSeconds: 5 } },
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp, client_id: clientId } = payload as { iat: number; exp: number; client_id: unknown };
    // jose checks `iat` against the clock only with maxTokenAge; a token issued in the future is not acceptable.
    if (iat > now + CLOCK_TOLERANCE_SECONDS) throw invalidToken('iat is in the future');
    if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId))
      throw invalidToken('client_id is not a usable id');
    return {
      kind: 'machine',
      clientId,
      scopes: parseScopes(typeof payload.scope === 'string' ? payload.scope : '').scopes,
      tokenLifetimeSeconds: exp - iat,
    };
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
