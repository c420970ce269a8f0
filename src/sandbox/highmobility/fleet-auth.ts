/**
 * Fleet (client credentials) authentication and tokens: the secret, or an ES256 client assertion verified against
 * the client's configured public key (`ver: 2`, `iss` = the key id, `aud` = `{host}/v1`, `iat` within the allowed
 * skew, a `jti` used once). Fleet tokens are ES256 JWTs (`ver: 1`) the simulator signs and checks on every call.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importSPKI,
  jwtVerify,
  SignJWT,
} from 'jose';
import { TokenRequestError } from './hm-error.ts';
import type { HighMobilitySandboxClient } from './options.ts';
import type { HighMobilityState } from './state.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const FLEET_SCOPE = 'fleet:clearance vehicle:eligibility-check vehicle:data';

export function secretMatches(client: HighMobilitySandboxClient, secret: string | undefined): boolean {
  if (secret === undefined) return false;
  const given = Buffer.from(secret);
  return client.secrets.some((candidate) => {
    const expected = Buffer.from(candidate);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export async function createFleetTokens(state: HighMobilityState) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const issuer = 'sandbox-high-mobility';

  /** The client an assertion authenticates, after every check; throws the endpoint's error otherwise. */
  async function verifyAssertion(assertion: string, claimedClientId: string | undefined, audience: string) {
    let keyId: string | undefined;
    try {
      if (decodeProtectedHeader(assertion).alg !== 'ES256') throw new Error('alg');
      const [, payload] = assertion.split('.');
      keyId = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: string }).iss;
    } catch {
      throw new TokenRequestError('client_assertion is invalid');
    }
    const client = state.clients.find(
      (candidate) =>
        candidate.keys.some((key) => key.id === keyId) &&
        (claimedClientId === undefined || candidate.clientId === claimedClientId),
    );
    const key = client?.keys.find((candidate) => candidate.id === keyId);
    if (!client || !key) throw new TokenRequestError('client_assertion is signed with an unknown key');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(assertion, await importSPKI(key.publicKeyPem, 'ES256'), {
        algorithms: ['ES256'],
        issuer: key.id,
        audience,
        // iat is checked below against the sandbox's clock, which tests may move.
        currentDate: new Date(state.clock.now()),
        clockTolerance: state.settings.assertionSkewSeconds,
      }));
    } catch {
      throw new TokenRequestError('client_assertion is invalid');
    }
    const skewMs = state.settings.assertionSkewSeconds * 1000;
    if (claims.ver !== 2) throw new TokenRequestError('client_assertion ver must be 2');
    if (typeof claims.iat !== 'number' || Math.abs(claims.iat * 1000 - state.clock.now()) > skewMs) {
      throw new TokenRequestError('client_assertion is expired');
    }
    if (typeof claims.jti !== 'string' || !state.useJti(claims.jti)) {
      throw new TokenRequestError('client_assertion jti was already used');
    }
    return client;
  }

  async function issue(client: HighMobilitySandboxClient) {
    const ttl = state.settings.fleetTokenTtlSeconds;
    const nowSeconds = Math.floor(state.clock.now() / 1000);
    const token = await new SignJWT({ ver: 1, scope: FLEET_SCOPE, client_id: client.clientId })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(client.clientId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
    return { access_token: state.remember(token), expires_in: ttl, scope: FLEET_SCOPE, token_type: 'bearer' };
  }

  /** The client a fleet token was issued to, or undefined for anything else (a consumer token, a forgery, expired). */
  async function clientOf(token: string): Promise<HighMobilitySandboxClient | undefined> {
    if (token.split('.').length !== 3) return undefined;
    try {
      const { payload } = await jwtVerify(token, publicKey as CryptoKey, {
        issuer,
        algorithms: ['ES256'],
        currentDate: new Date(state.clock.now()),
      });
      return payload.ver === 1 ? state.client(String(payload.sub)) : undefined;
    } catch {
      return undefined;
    }
  }

  return { verifyAssertion, issue, clientOf, publicJwk: () => exportJWK(publicKey) };
}

export type FleetTokens = Awaited<ReturnType<typeof createFleetTokens>>;
