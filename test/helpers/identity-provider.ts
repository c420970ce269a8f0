/**
 * panva's oidc-provider (the real one, a dev dependency) on a free port, with Keyfob registered as a client, its
 * development login and consent pages driven over HTTP like a person with a browser would, and its own signing keys
 * at hand so tests can make logout tokens exactly as it does (and forged ones with a foreign key).
 * The provider is reached through a relay at its issuer URL that passes everything through unchanged, unless a
 * test asks it to tamper with the next ID token the token endpoint answers (a network attacker's move): that is how
 * the tests show Keyfob refusing a forged, expired or misdirected ID token from a real provider.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { TestContext } from 'node:test';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from './free-port.ts';

export const IDP_CLIENT_ID = 'keyfob-web';
export const IDP_CLIENT_SECRET = 'idp-client-secret-0123456789abcdef';

type ClientAuth = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

function signingKey(kind: 'rsa' | 'ec', kid: string) {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: kind === 'rsa' ? 'RS256' : 'ES256', use: 'sig' };
}

export async function startIdentityProvider(
  t: TestContext,
  keyfobUrl: string,
  options: {
    clientAuth?: ClientAuth;
    /** Keyfob's public key, for private_key_jwt. */
    clientPublicKey?: KeyObject;
    idTokenAlg?: 'RS256' | 'ES256';
    /** Each account's `realm_access.roles` (Keycloak's shape), a profile claim, for OIDC_SCOPES_CLAIM. */
    roles?: Record<string, string[]>;
  } = {},
) {
  const [port, providerPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${port}`;
  const keys = [signingKey('rsa', 'rs-1'), signingKey('ec', 'es-1')];
  const clientAuth = options.clientAuth ?? 'client_secret_basic';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT_ID,
        ...(clientAuth === 'private_key_jwt'
          ? { jwks: { keys: [{ ...options.clientPublicKey?.export({ format: 'jwk' }), kid: 'keyfob-1' }] } }
          : { client_secret: IDP_CLIENT_SECRET }),
        token_endpoint_auth_method: clientAuth,
        ...(clientAuth === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'ES256' } : {}),
        redirect_uris: [`${keyfobUrl}/auth/callback`],
        post_logout_redirect_uris: [`${keyfobUrl}/`],
        backchannel_logout_uri: `${keyfobUrl}/auth/backchannel-logout`,
        backchannel_logout_session_required: true,
        id_token_signed_response_alg: options.idTokenAlg ?? 'RS256',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys },
    cookies: { keys: [randomUUID()] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    // The provider refuses to call loopback addresses (its SSRF protection); here Keyfob listens on loopback.
    fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) =>
      fetch(url, { ...init, dispatcher: undefined } as RequestInit),
    claims: { openid: ['sub'], profile: ['name', 'realm_access'], email: ['email', 'email_verified'] },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: `Staff ${sub}`,
        email: `${sub}@fleet.example`,
        email_verified: true,
        ...(options.roles?.[sub] ? { realm_access: { roles: options.roles[sub] } } : {}),
      }),
    }),
  } as ConstructorParameters<typeof Provider>[1]);
  // What the provider reports about its own deliveries and failures, for the tests' messages.
  const events: string[] = [];
  for (const name of ['backchannel.error', 'backchannel.success', 'server_error', 'end_session.error']) {
    provider.on(name, (...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error) as Error | undefined;
      events.push(`${name}${error ? `: ${error.message}` : ''}`);
    });
  }
  const server = provider.listen(providerPort);
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));

  let tamper: ((claims: Record<string, unknown>) => Promise<string>) | undefined;
  /** Every token the token endpoint answered, for the tests that search Keyfob's answers and logs for them. */
  const issued: string[] = [];
  const relay = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: providerPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
      async (answer) => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        let body = Buffer.concat(chunks);
        if (incoming.url?.startsWith('/token') && answer.statusCode === 200) {
          const answered = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          for (const name of ['access_token', 'id_token', 'refresh_token']) {
            if (typeof answered[name] === 'string') issued.push(answered[name] as string);
          }
        }
        const change = incoming.url?.startsWith('/token') ? tamper : undefined;
        if (change && answer.statusCode === 200) {
          tamper = undefined;
          const tokens = JSON.parse(body.toString('utf8')) as { id_token: string };
          tokens.id_token = await change(decodeJwt(tokens.id_token) as Record<string, unknown>);
          body = Buffer.from(JSON.stringify(tokens));
        }
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        outgoing.writeHead(answer.statusCode ?? 502, headers);
        outgoing.end(body);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  relay.listen(port, '127.0.0.1');
  await new Promise((resolve) => relay.once('listening', resolve));
  t.after(() => new Promise((resolve) => relay.close(resolve)));

  async function sign(claims: Record<string, unknown>, key: Record<string, unknown>, header: Record<string, unknown>) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: String(key.alg), kid: String(key.kid), ...header })
      .sign(await importJWK(key as Parameters<typeof importJWK>[0], String(key.alg)));
  }

  return {
    issuer,
    provider,
    events,
    issued,
    /**
     * The next ID token the token endpoint answers is replaced: re-signed by the provider's own key with `changes`,
     * or by a foreign key under the provider's key id.
     */
    tamperWithNextIdToken(changes: { claims?: Record<string, unknown>; foreignKey?: boolean }) {
      tamper = async (claims) => {
        const key = changes.foreignKey ? signingKey('rsa', 'rs-1') : (keys[0] as Record<string, unknown>);
        return sign({ ...claims, ...changes.claims }, key, {});
      };
    },
    /** A logout token as the provider makes it (signed by its own key), with `changes` applied. */
    async logoutToken(
      target: { sid?: string; sub?: string },
      changes: { claims?: Record<string, unknown>; header?: Record<string, unknown>; foreignKey?: boolean } = {},
    ) {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        aud: IDP_CLIENT_ID,
        iat: now,
        exp: now + 120,
        jti: randomUUID(),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...target,
        ...changes.claims,
      };
      const key = changes.foreignKey ? signingKey('rsa', 'rs-1') : (keys[0] as Record<string, unknown>);
      return sign(claims, key, { typ: 'logout+jwt', ...changes.header });
    },
  };
}

/** A cookie jar for the identity provider's pages (its interaction and session cookies). */
export class IdentityProviderBrowser {
  readonly cookies = new Map<string, string>();

  async get(url: string) {
    return this.#send(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>) {
    return this.#send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async #send(url: string, init: RequestInit) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      this.cookies.set((pair ?? '').slice(0, eq).trim(), (pair ?? '').slice(eq + 1).trim());
    }
    return response;
  }

  /**
   * Signs out at the identity provider itself (its own logout page, confirmed): it then tells every client of that
   * session by back-channel logout, as a company signing someone out does.
   */
  async signOutAtProvider(issuer: string) {
    const page = await (await this.get(`${issuer}/session/end`)).text();
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(page)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
    if (!action || !xsrf) throw new Error(`no logout form: ${page.slice(0, 300)}`);
    const confirmed = await this.post(new URL(action, issuer).href, { xsrf, logout: 'yes' });
    if (confirmed.status >= 400) throw new Error(`logout confirmation answered ${confirmed.status}`);
  }

  /**
   * From an authorization URL to the redirect back to Keyfob: login as `account`, consent, following the provider's
   * redirects; returns the callback URL Keyfob would be sent to.
   */
  async signIn(authorizationUrl: string, account: string): Promise<URL> {
    let url = authorizationUrl;
    for (let step = 0; step < 12; step++) {
      const response = await this.get(url);
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get('location') ?? '', url);
        if (next.origin !== new URL(url).origin) return next;
        url = next.href;
        continue;
      }
      const html = await response.text();
      if (response.status !== 200)
        throw new Error(`identity provider answered ${response.status}: ${html.slice(0, 300)}`);
      const action = new URL(/<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '', url).href;
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      const submitted = await this.post(
        action,
        prompt === 'login' ? { prompt, login: account, password: 'x' } : { prompt: 'consent' },
      );
      const location = submitted.headers.get('location');
      if (!location) throw new Error(`the ${prompt} form answered ${submitted.status}`);
      url = new URL(location, url).href;
    }
    throw new Error('the identity provider never redirected back');
  }
}
