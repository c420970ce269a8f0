/**
 * Validates an OpenID Connect back-channel logout token. Rules (Back-Channel Logout 1.0, section 2.6), in order:
 * a JWS signed by a key of the provider's JWKS (the key its `kid` names; the JWKS is cached and fetched again on an
 * unknown `kid`), with an algorithm the provider advertises for ID tokens (never `none`, never an HMAC); `typ`
 * `logout+jwt` where sent; `iss` the provider, `aud` Keyfob's client id; `iat` recent (2 minutes, 30 s leeway);
 * `exp` not passed where sent; `events` holding the back-channel logout member as an object; no `nonce`; `sid`
 * and/or `sub`; a `jti` not seen before (checked last; the caller remembers it once the logout is done, so a
 * delivery that failed half-way can be retried, and a refused token uses up nothing).
 * jose does the signature and the standard claims; what it cannot know (events, nonce, sid/sub, jti) is here.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type * as oauth from 'openid-client';
import { ASYMMETRIC_ALGORITHMS } from '../security/asymmetric-algorithms.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const SIGNATURE_ALGORITHMS = new Set<string>(ASYMMETRIC_ALGORITHMS);

export class LogoutTokenError extends Error {
  override name = 'LogoutTokenError';
}

export interface LogoutTarget {
  sid: string | undefined;
  sub: string | undefined;
  jti: string;
}

export function createLogoutTokenVerifier(options: {
  configuration: () => Promise<oauth.Configuration>;
  clientId: string;
  /** Whether an accepted logout token carried this `jti` already. */
  seen: (jti: string) => Promise<boolean>;
}) {
  const jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  return async function verify(token: string): Promise<LogoutTarget> {
    const metadata = (await options.configuration()).serverMetadata();
    if (!metadata.jwks_uri) throw new LogoutTokenError('the identity provider publishes no JWKS');
    let jwks = jwksByUri.get(metadata.jwks_uri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 60_000 });
      jwksByUri.set(metadata.jwks_uri, jwks);
    }
    const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    const algorithms = advertised.filter((alg) => SIGNATURE_ALGORITHMS.has(alg));
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new LogoutTokenError('not a JWS');
    }
    if (header.typ !== undefined && !/^(application\/)?logout\+jwt$/i.test(header.typ)) {
      throw new LogoutTokenError('typ is not logout+jwt');
    }
    let claims: JWTPayload & Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, {
        issuer: metadata.issuer,
        audience: options.clientId,
        algorithms,
        maxTokenAge: 120,
        clockTolerance: 30,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (error) {
      throw new LogoutTokenError(`the logout token is not valid (${(error as { code?: string }).code ?? 'invalid'})`);
    }
    const events = claims.events as Record<string, unknown> | undefined;
    if (typeof events?.[EVENT] !== 'object' || events[EVENT] === null || Array.isArray(events[EVENT])) {
      throw new LogoutTokenError('events has no back-channel logout member');
    }
    if ('nonce' in claims) throw new LogoutTokenError('a logout token carries no nonce');
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (!sid && !sub) throw new LogoutTokenError('neither sid nor sub');
    const jti = String(claims.jti);
    if (await options.seen(jti)) throw new LogoutTokenError('this logout token was used');
    return { sid, sub, jti };
  };
}
