/**
 * Smartcar v2 (user tokens) and v3 (application token with `sc-user-id`). Smartcar publishes no discovery document,
 * so the endpoints are configured by hand; openid-client does the OAuth mechanics (authorization URL, PKCE, code
 * exchange, refresh) with the client authentication of client-authentication.ts.
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar)
 */
import * as oauth from 'openid-client';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { classifyOAuthFailure } from '../oauth-failure.ts';
import type { ProviderAdapter, TokenSet, VehicleDescription } from '../provider-adapter.ts';
import { callUpstream, jsonOf } from '../upstream-client.ts';
import { smartcarApplicationAuth, smartcarBasicAuth } from './client-authentication.ts';
import type { SmartcarSettings } from './settings.ts';
import { SMARTCAR_SIGNAL_ROUTES } from './signal-routes.ts';
import { SMARTCAR_ROUTES } from './smartcar-routes.ts';
import { SMARTCAR_V3_ROUTES } from './smartcar-v3-routes.ts';

/** Smartcar does not say when a refresh token expires; its documentation gives 60 days from issue. */
const REFRESH_TOKEN_LIFETIME_MS = 60 * 24 * 3600 * 1000;

/** Smartcar's settings from the configuration, and the upstream timeout. */
export type SmartcarAdapterSettings = SmartcarSettings & { timeoutMs: number };

function tokenSetFrom(response: oauth.TokenEndpointResponse): TokenSet {
  const now = Date.now();
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    accessExpiresAt: new Date(now + (response.expires_in ?? 7200) * 1000),
    refreshExpiresAt: response.refresh_token ? new Date(now + REFRESH_TOKEN_LIFETIME_MS) : undefined,
  };
}

export function createSmartcarAdapter(settings: SmartcarAdapterSettings): ProviderAdapter {
  const configuration = new oauth.Configuration(
    {
      issuer: settings.authUrl,
      authorization_endpoint: `${settings.connectUrl}/oauth/authorize`,
      token_endpoint: `${settings.authUrl}/oauth/token`,
    },
    settings.clientId,
    undefined,
    smartcarBasicAuth(settings.clientSecret),
  );
  configuration.timeout = Math.ceil(settings.timeoutMs / 1000);
  // The sandbox and local simulators speak plain http; real Smartcar hosts are https.
  if (new URL(settings.authUrl).protocol === 'http:') oauth.allowInsecureRequests(configuration);

  // v3 API Authentication: client credentials at the IAM host, credentials in the form body.
  const iam = new oauth.Configuration(
    { issuer: settings.iamUrl, token_endpoint: `${settings.iamUrl}/oauth2/token` },
    settings.clientId,
    undefined,
    smartcarApplicationAuth(settings.clientSecret),
  );
  iam.timeout = configuration.timeout;
  if (new URL(settings.iamUrl).protocol === 'http:') oauth.allowInsecureRequests(iam);
  const v3 = settings.apiVersion === 3;

  async function get<T>(accessToken: string, path: string, what: string): Promise<{ status: number; body: T }> {
    const answer = await callUpstream({
      method: 'GET',
      url: `${settings.apiUrl}${path}`,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      timeoutMs: settings.timeoutMs,
    });
    if (answer.status >= 500) {
      throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, `the vehicle provider failed to answer ${what}`);
    }
    return { status: answer.status, body: jsonOf<T>(answer, what) };
  }

  async function required<T>(accessToken: string, path: string, what: string): Promise<T> {
    const { status, body } = await get<T>(accessToken, path, what);
    if (status !== 200) {
      throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, `the vehicle provider refused ${what} (${status})`);
    }
    return body;
  }

  return {
    name: 'smartcar',
    displayName: 'Smartcar',
    signalRoutes: SMARTCAR_SIGNAL_ROUTES,
    clientId: settings.clientId,
    endpoints: { authorization: `${settings.connectUrl}/oauth/authorize`, token: `${settings.authUrl}/oauth/token` },
    vehicleKey: 'providerVehicleId',
    apiBaseUrl: v3 ? settings.v3ApiUrl : settings.apiUrl,
    routes: v3 ? SMARTCAR_V3_ROUTES : SMARTCAR_ROUTES,
    ...(v3
      ? {
          appTokens: {
            request: { tokenEndpoint: `${settings.iamUrl}/oauth2/token`, clientId: settings.clientId, scopes: [] },
            async fetch(scopes) {
              const answer = await oauth.clientCredentialsGrant(
                iam,
                scopes.length > 0 ? { scope: scopes.join(' ') } : {},
              );
              return { accessToken: answer.access_token, expiresInSeconds: answer.expires_in ?? 3600 };
            },
          },
        }
      : {}),
    authorizationUrl: ({ redirectUri, state, codeChallenge }) =>
      oauth.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        scope: settings.scopes,
        mode: settings.mode,
        approval_prompt: 'force',
      }),
    async exchangeCode({ callbackUrl, state, codeVerifier }) {
      return tokenSetFrom(
        await oauth.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: codeVerifier,
          expectedState: state,
        }),
      );
    },
    refresh: async (refreshToken) => tokenSetFrom(await oauth.refreshTokenGrant(configuration, refreshToken)),
    classifyTokenFailure: classifyOAuthFailure,
    applicationHeaders: (providerAccountId): Record<string, string> =>
      providerAccountId ? { 'sc-user-id': providerAccountId } : {},
    async identifyUser({ accessToken }) {
      const user = await required<{ id?: unknown }>(accessToken, '/user', 'the user');
      if (typeof user.id !== 'string' || user.id.length === 0) {
        throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the vehicle provider sent no user id');
      }
      return user.id;
    },
    async describeGrant({ accessToken }) {
      const ids: string[] = [];
      for (let offset = 0; ; offset += 50) {
        const page = await required<{ vehicles: string[]; paging: { count: number } }>(
          accessToken,
          `/vehicles?limit=50&offset=${offset}`,
          'the vehicle list',
        );
        ids.push(...page.vehicles);
        if (page.vehicles.length === 0 || ids.length >= page.paging.count) break;
      }
      const vehicles: VehicleDescription[] = [];
      let scopes: string[] = [];
      for (const id of ids) {
        const base = `/vehicles/${encodeURIComponent(id)}`;
        const permissions = await required<{ permissions: string[] }>(
          accessToken,
          `${base}/permissions`,
          'permissions',
        );
        scopes = permissions.permissions;
        // Attributes and VIN need permissions the user may have declined: without them, they stay unknown.
        const attributes = scopes.includes('read_vehicle_info')
          ? await get<{ make?: string; model?: string; year?: number }>(accessToken, base, 'vehicle attributes')
          : undefined;
        const vin = scopes.includes('read_vin')
          ? await get<{ vin?: string }>(accessToken, `${base}/vin`, 'the VIN')
          : undefined;
        const info = attributes?.status === 200 ? attributes.body : {};
        vehicles.push({
          providerVehicleId: id,
          make: info.make ?? null,
          model: info.model ?? null,
          year: typeof info.year === 'number' ? info.year : null,
          vin: vin?.status === 200 && typeof vin.body.vin === 'string' ? vin.body.vin : null,
        });
      }
      return { scopes, vehicles };
    },
    async disconnect({ accessToken, vehicleKey }) {
      const answer = await callUpstream({
        method: 'DELETE',
        url: `${settings.apiUrl}/vehicles/${encodeURIComponent(vehicleKey)}/application`,
        headers: { authorization: `Bearer ${accessToken}` },
        timeoutMs: settings.timeoutMs,
      });
      // 404: already disconnected at the provider; 401: the grant is dead there, so is the connection.
      if (answer.status >= 300 && answer.status !== 404 && answer.status !== 401) {
        throw new KeyfobError(
          ERROR_CODES.UPSTREAM_UNAVAILABLE,
          502,
          `the vehicle provider refused to disconnect (${answer.status})`,
        );
      }
    },
  };
}
