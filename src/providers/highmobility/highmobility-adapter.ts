/**
 * High Mobility: a car owner's consent (authorization code, one consent per car) and a fleet operator's own
 * vehicles (client credentials, fleet clearance). Vehicles are addressed by VIN; Keyfob decrypts it for the call.
 * @see ../../../../shared/reference/vehicle-apis.md (High Mobility)
 */
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import type { FleetAccess, ProviderAdapter, TokenSet } from '../provider-adapter.ts';
import { callUpstream, jsonOf } from '../upstream-client.ts';
import { consumerClientAuth, fleetClientAuth, type HighMobilityClient } from './client-authentication.ts';
import { highMobilityCondition, translateHighMobilityError } from './data-errors.ts';
import { createFleetClearance } from './fleet-clearance.ts';
import { HIGHMOBILITY_ROUTE_SCOPES, HIGHMOBILITY_ROUTES } from './highmobility-routes.ts';
import type { HighMobilitySettings } from './settings.ts';
import {
  classifyHighMobilityFailure,
  type HighMobilityTokenAnswer,
  postTokenRequest,
  revokeToken,
} from './token-endpoint.ts';

export type HighMobilityAdapterSettings = HighMobilitySettings & HighMobilityClient & { timeoutMs: number };

const FLEET_TOKEN_SECONDS = 300;

function tokenSetFrom(answer: HighMobilityTokenAnswer): TokenSet & { scopes: string[] } {
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    accessExpiresAt: new Date(Date.now() + (answer.expires_in ?? 3600) * 1000),
    // High Mobility does not document the refresh token's lifetime: Keyfob keeps it until it is refused.
    refreshExpiresAt: undefined,
    pendingApproval: answer.status === 'pending',
    scopes: (answer.scope ?? '').split(/\s+/).filter(Boolean),
  };
}

export function createHighMobilityAdapter(
  settings: HighMobilityAdapterSettings,
): ProviderAdapter & { fleet: FleetAccess } {
  const tokenEndpoint = `${settings.apiUrl}/v1/access_tokens`;
  const fleetAuth = fleetClientAuth(settings);

  // The callback asks for the account (identifyUser) and then the car (describeGrant) of one consent: both come from
  // one `/v1/vehicleinfo` answer, asked for once per token set.
  const infoOf = new WeakMap<TokenSet, Promise<{ vin: string; sub: string }>>();
  function vehicleInfoFor(tokens: TokenSet) {
    let info = infoOf.get(tokens);
    if (!info) {
      info = vehicleInfo(tokens.accessToken);
      infoOf.set(tokens, info);
    }
    return info;
  }

  async function vehicleInfo(accessToken: string): Promise<{ vin: string; sub: string }> {
    const answer = await callUpstream({
      method: 'GET',
      url: `${settings.apiUrl}/v1/vehicleinfo`,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      timeoutMs: settings.timeoutMs,
    });
    if (answer.status !== 200) {
      throw new KeyfobError(
        ERROR_CODES.UPSTREAM_UNAVAILABLE,
        502,
        `the vehicle provider refused the vehicle info (${answer.status})`,
      );
    }
    const info = jsonOf<{ vin?: unknown; sub?: unknown }>(answer, 'vehicle info');
    if (typeof info.vin !== 'string' || typeof info.sub !== 'string') {
      throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the vehicle provider sent no VIN or owner');
    }
    return { vin: info.vin, sub: info.sub };
  }

  /** The car's brand as the data answer names it (`mercedes_benz` shows as MERCEDES BENZ), or null if unknown yet. */
  async function brandOf(accessToken: string, vin: string): Promise<string | null> {
    try {
      const answer = await callUpstream({
        method: 'GET',
        url: `${settings.apiUrl}/v1/vehicle-data/autoapi-13/${encodeURIComponent(vin)}`,
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        timeoutMs: settings.timeoutMs,
      });
      const brand = answer.status === 200 ? jsonOf<{ brand?: unknown }>(answer, 'vehicle data').brand : undefined;
      return typeof brand === 'string' ? brand.replace(/_/g, ' ').toUpperCase() : null;
    } catch {
      return null;
    }
  }

  return {
    name: 'highmobility',
    displayName: 'High Mobility',
    clientId: settings.clientId,
    endpoints: { authorization: settings.authUrl, token: tokenEndpoint },
    apiBaseUrl: settings.apiUrl,
    routes: HIGHMOBILITY_ROUTES,
    vehicleKey: 'vin',
    appTokens: {
      request: { tokenEndpoint, clientId: settings.clientId, scopes: [] },
      async fetch() {
        const answer = await postTokenRequest(
          settings.apiUrl,
          { grant_type: 'client_credentials', ...(await fleetAuth()) },
          settings.timeoutMs,
        );
        return { accessToken: answer.access_token, expiresInSeconds: answer.expires_in ?? FLEET_TOKEN_SECONDS };
      },
    },
    authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(settings.authUrl);
      url.search = new URLSearchParams({
        client_id: settings.clientId,
        app_id: settings.appId,
        redirect_uri: redirectUri,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url;
    },
    async exchangeCode({ callbackUrl, redirectUri, codeVerifier }) {
      const code = callbackUrl.searchParams.get('code');
      if (!code) throw new KeyfobError(ERROR_CODES.BAD_REQUEST, 400, 'the callback carries no code');
      const answer = await postTokenRequest(
        settings.apiUrl,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
          ...consumerClientAuth(settings),
        },
        settings.timeoutMs,
      );
      return tokenSetFrom(answer);
    },
    async refresh(refreshToken) {
      const answer = await postTokenRequest(
        settings.apiUrl,
        { grant_type: 'refresh_token', refresh_token: refreshToken, ...consumerClientAuth(settings) },
        settings.timeoutMs,
      );
      return tokenSetFrom(answer);
    },
    classifyTokenFailure: classifyHighMobilityFailure,
    async identifyUser(tokens) {
      return (await vehicleInfoFor(tokens)).sub;
    },
    async describeGrant(tokens) {
      const { vin } = await vehicleInfoFor(tokens);
      return {
        scopes: (tokens as TokenSet & { scopes?: string[] }).scopes ?? [],
        // One consent is one car. Only the data answer names the brand (not while the consent is pending).
        vehicles: [
          { providerVehicleId: null, make: await brandOf(tokens.accessToken, vin), model: null, year: null, vin },
        ],
      };
    },
    async disconnect({ refreshToken, accessToken }) {
      // Revoking the refresh token ends the consent's ability to get new tokens; the access token dies within its hour.
      const status = await revokeToken(
        settings.apiUrl,
        {
          token: refreshToken ?? accessToken,
          token_type_hint: refreshToken ? 'refresh_token' : 'access_token',
          ...consumerClientAuth(settings),
        },
        settings.timeoutMs,
      );
      if (status >= 300 && status !== 400 && status !== 404) {
        throw new KeyfobError(
          ERROR_CODES.UPSTREAM_UNAVAILABLE,
          502,
          `the vehicle provider refused to revoke (${status})`,
        );
      }
    },
    translateError: translateHighMobilityError,
    conditionOfAnswer: highMobilityCondition,
    fleet: {
      clearance: (tokens) =>
        createFleetClearance({ apiUrl: settings.apiUrl, timeoutMs: settings.timeoutMs, ...tokens }),
      scopes: HIGHMOBILITY_ROUTE_SCOPES,
    },
  };
}
