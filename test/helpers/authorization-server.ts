/**
 * The operator's authorization server for machine clients: panva's oidc-provider (the real one) on a free port,
 * issuing RFC 9068 JWT access tokens by the client credentials grant for Keyfob's resource indicator, with a
 * client for each test job. Its signing keys are at hand, so a test can also make tokens exactly as it does with
 * one claim changed (expired, another audience), or forged (alg none, HS256 keyed with its public key, a key it
 * never published). It counts the requests for its key set.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { importJWK, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { ALL_SCOPES } from '../../src/access/scope-table.ts';
import { freePort } from './free-port.ts';

export const KEYFOB_RESOURCE = 'https://keyfob.test/api';

function signingKey(kind: 'rsa' | 'ec', kid: string): JWK {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: kind === 'rsa' ? 'RS256' : 'ES256', use: 'sig' } as JWK;
}

export async function startAuthorizationServer(
  t: TestContext,
  options: { clients: Array<{ id: string; scopes: string[] }>; tokenTtlSeconds?: number; alg?: 'RS256' | 'ES256' },
) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const keys = [signingKey('rsa', 'rs-1'), signingKey('ec', 'es-1')];
  const secret = (id: string) => `secret-of-${id}-0123456789abcdef`;
  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.id,
      client_secret: secret(client.id),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: client.scopes.join(' '),
    })),
    jwks: { keys },
    scopes: [...ALL_SCOPES],
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => KEYFOB_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== KEYFOB_RESOURCE) throw new Error('unknown resource');
          return {
            scope: ALL_SCOPES.join(' '),
            audience: KEYFOB_RESOURCE,
            accessTokenTTL: options.tokenTtlSeconds ?? 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: options.alg ?? 'ES256' } },
          };
        },
      },
    },
  } as ConstructorParameters<typeof Provider>[1]);
  let jwksRequests = 0;
  provider.use(async (ctx: { path: string }, next: () => Promise<void>) => {
    if (ctx.path === '/jwks') jwksRequests++;
    await next();
  });
  const server = provider.listen(port);
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));

  return {
    issuer,
    jwksRequests: () => jwksRequests,
    /** A token from the token endpoint, as the job would get it. */
    async token(clientId: string, scopes: string[]): Promise<string> {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret(clientId)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: scopes.join(' '),
          resource: KEYFOB_RESOURCE,
        }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token endpoint: ${body.error} ${body.error_description}`);
      return body.access_token;
    },
    /**
     * A token as the server signs them, with `claims` and `header` changed; `key` `foreign` signs with a key the
     * server never published (under a `kid` of its own).
     */
    async forge(
      claims: Record<string, unknown>,
      options: { header?: Record<string, unknown>; key?: 'rs' | 'es' | 'foreign' } = {},
    ): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      const key =
        options.key === 'foreign'
          ? signingKey('ec', `unknown-${randomUUID()}`)
          : options.key === 'rs'
            ? keys[0]
            : keys[1];
      const body = {
        iss: issuer,
        aud: KEYFOB_RESOURCE,
        client_id: 'fleet-job',
        sub: 'fleet-job',
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        scope: 'vehicle.read_list',
        ...claims,
      };
      return new SignJWT(body)
        .setProtectedHeader({ alg: String(key?.alg), kid: String(key?.kid), typ: 'at+jwt', ...options.header })
        .sign(await importJWK(key as JWK, String(key?.alg)));
    },
    /** The RSA public key as the JWKS publishes it (for the HS256 confusion attempt). */
    publicRsaJwk(): JWK {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = keys[0] as JWK;
      return publicPart;
    },
  };
}
