/**
 * The identity provider, through openid-client: discovery (once, on first use, retried after a failure, so an
 * identity provider that is down does not stop Keyfob from starting), the authorization URL (PKCE S256, `state`,
 * `nonce`), the code exchange with the configured client authentication, and the end-session URL. openid-client
 * checks what the flow must check: `state`, the `iss` authorization response parameter where the provider
 * advertises it (RFC 9207), and the ID token's `iss`, `aud`, `azp`, `exp`, `iat` and `nonce`; non-repudiation
 * checks add its signature, by the provider's JWKS, whatever algorithm the provider advertises.
 * @see OpenID Connect Core 1.0 section 3.1.3.7, RFC 9207, RFC 7636
 */
import { createPrivateKey } from 'node:crypto';
import { importPKCS8 } from 'jose';
import * as oauth from 'openid-client';
import type { OidcSettings } from '../config/oidc-settings.ts';

export interface SignedIn {
  subject: string;
  sid: string | undefined;
  name: string | undefined;
  email: string | undefined;
  idToken: string;
  accessToken: string;
  refreshToken: string | undefined;
  /** The ID token's claims (with userinfo's over them when it is read), for OIDC_SCOPES_CLAIM. */
  claims: Record<string, unknown>;
}

async function clientAuthentication(settings: OidcSettings): Promise<oauth.ClientAuth> {
  if (settings.clientAuth === 'client_secret_post') return oauth.ClientSecretPost(settings.clientSecret);
  if (settings.clientAuth === 'private_key_jwt') {
    const pem = settings.privateKeyPem as string;
    const alg = createPrivateKey(pem).asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
    return oauth.PrivateKeyJwt(await importPKCS8(pem, alg));
  }
  return oauth.ClientSecretBasic(settings.clientSecret);
}

export function createOidcClient(settings: OidcSettings, timeoutMs: number) {
  let discovered: Promise<oauth.Configuration> | undefined;

  async function discover(): Promise<oauth.Configuration> {
    const issuer = new URL(settings.issuer);
    const execute = [oauth.enableNonRepudiationChecks];
    // A local test provider speaks http; a real identity provider is https.
    if (issuer.protocol === 'http:') execute.unshift(oauth.allowInsecureRequests);
    return oauth.discovery(issuer, settings.clientId, undefined, await clientAuthentication(settings), {
      execute,
      timeout: Math.ceil(timeoutMs / 1000),
    });
  }

  /** The discovered configuration; a failed discovery is tried again on the next call. */
  function configuration(): Promise<oauth.Configuration> {
    discovered ??= discover().catch((error) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  }

  return {
    issuer: settings.issuer,
    clientId: settings.clientId,
    configuration,

    async authorizationUrl(input: {
      redirectUri: string;
      state: string;
      nonce: string;
      codeChallenge: string;
      /** `login`: the identity provider asks for the credentials again (a fresh sign-in, not a silent one). */
      prompt?: 'login';
    }) {
      return oauth.buildAuthorizationUrl(await configuration(), {
        redirect_uri: input.redirectUri,
        scope: settings.scopes,
        state: input.state,
        nonce: input.nonce,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
        ...(input.prompt ? { prompt: input.prompt } : {}),
      });
    },

    async signIn(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<SignedIn> {
      const config = await configuration();
      const tokens = await oauth.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims() as oauth.IDToken & { sid?: string; name?: string; email?: string };
      let { name, email } = claims;
      let allClaims: Record<string, unknown> = { ...claims };
      if (settings.userinfo) {
        const info = await oauth.fetchUserInfo(config, tokens.access_token, claims.sub);
        name = typeof info.name === 'string' ? info.name : name;
        email = typeof info.email === 'string' ? info.email : email;
        allClaims = { ...allClaims, ...info };
      }
      return {
        subject: claims.sub,
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
        name: typeof name === 'string' ? name : undefined,
        email: typeof email === 'string' ? email : undefined,
        idToken: tokens.id_token as string,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        claims: allClaims,
      };
    },

    /** Where the browser goes to end its session at the provider, or undefined when it has no end_session_endpoint. */
    async endSessionUrl(input: { idTokenHint: string; state: string }): Promise<string | undefined> {
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return oauth.buildEndSessionUrl(config, {
        id_token_hint: input.idTokenHint,
        post_logout_redirect_uri: settings.postLogoutRedirectUri,
        state: input.state,
      }).href;
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
