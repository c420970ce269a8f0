/**
 * How Keyfob authenticates to High Mobility's token endpoint: the one place that says so.
 * - Consumer consent (code, refresh, revoke): `client_id` and `client_secret` in the JSON body.
 * - Fleet (client credentials): an ES256 client assertion when HIGHMOBILITY_PRIVATE_KEY is set, else the secret.
 *   The assertion is built with jose: header `{ alg: ES256, typ: JWT }`, claims `ver: 2`, `iss` = the key's console
 *   id, `aud` = `{host}/v1`, `iat`, and a fresh `jti` each time (High Mobility takes each `jti` once).
 * High Mobility's endpoint takes JSON, not the form body RFC 6749 asks for, so openid-client cannot speak to it:
 * token-endpoint.ts posts these bodies itself.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility: Token endpoint, Fleet tokens)
 */
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface HighMobilityClient {
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  privateKeyPem: string | undefined;
  privateKeyId: string | undefined;
}

/** The body fields that authenticate a consumer-token request. */
export function consumerClientAuth(client: HighMobilityClient): Record<string, string> {
  return { client_id: client.clientId, client_secret: client.clientSecret };
}

/** Which fleet method this configuration uses, for the logs at start and the README. */
export const fleetAuthMethod = (client: HighMobilityClient) =>
  client.privateKeyPem && client.privateKeyId ? 'private_key_jwt (ES256)' : 'client_secret';

/** The body fields that authenticate a fleet-token request: a fresh assertion each time, or the secret. */
export function fleetClientAuth(client: HighMobilityClient): () => Promise<Record<string, string>> {
  const { privateKeyPem, privateKeyId } = client;
  if (!privateKeyPem || !privateKeyId) return async () => consumerClientAuth(client);
  const key = importPKCS8(privateKeyPem, 'ES256');
  return async () => {
    const assertion = await new SignJWT({ ver: 2 })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(privateKeyId)
      .setAudience(`${client.apiUrl}/v1`)
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(await key);
    return { client_id: client.clientId, client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion };
  };
}
