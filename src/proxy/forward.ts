/**
 * One proxied call: the credentials of the route and connection (the grant's user token, refreshed when it
 * expires within 60 s; or the application token, for Smartcar v3 routes with `sc-user-id` and for fleet vehicles),
 * the allowed request headers, only the allowed answer headers returned. A successful answer is reshaped into
 * Keyfob's shape where the provider's differs (with the data's age as `sc-data-age`); an error answer keeps its
 * status and body, or is put in Keyfob's error shape by the adapter. On an upstream 401 the token is renewed once
 * and the call retried once. Identical GETs of one user in flight at once share that whole exchange
 * (coalesce-gets.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyfobError } from '../errors/keyfob-error.ts';
import type { AnswerCondition, ProviderAdapter, ProxyRoute } from '../providers/provider-adapter.ts';
import { callUpstream, jsonOf, type UpstreamAnswer } from '../providers/upstream-client.ts';
import type { GrantTokens } from '../repositories/grants.ts';
import type { OwnedVehicle } from '../repositories/vehicles.ts';
import type { AccessTokens, RefreshLog } from '../tokens/access-tokens.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import { type TraceScope, traceOf } from '../tracing/trace-scope.ts';
import { coalescingKey, type GetCoalescer } from './coalesce-gets.ts';
import { FORWARDED_REQUEST_HEADERS, isReturnedHeader } from './header-policy.ts';

/** How a call authenticates upstream: the first token, and the one to use after a 401 with it. */
interface Credentials {
  token(): Promise<string>;
  renew(refused: string): Promise<string>;
  extraHeaders: Record<string, string>;
}

function credentialsFor(
  route: ProxyRoute,
  vehicle: OwnedVehicle,
  grant: GrantTokens,
  provider: ProviderAdapter,
  accessTokens: AccessTokens,
  appTokens: AppTokens,
  log: RefreshLog,
  trace: TraceScope,
): Credentials {
  if ((route.credentials === 'application' || vehicle.connectionKind === 'fleet') && provider.appTokens) {
    const request = provider.appTokens.request;
    return {
      token: () => appTokens.get(request),
      renew: async (refused) => {
        await appTokens.invalidate(request, refused);
        return appTokens.get(request);
      },
      extraHeaders: provider.applicationHeaders?.(vehicle.providerAccountId) ?? {},
    };
  }
  return {
    token: () => accessTokens.forGrant(vehicle.grantId, { current: grant, log, trace }),
    renew: (refused) => accessTokens.forGrant(vehicle.grantId, { staleToken: refused, log, trace }),
    extraHeaders: {},
  };
}

/** Each provider's API host, parsed once rather than on every proxied call (a span attribute). */
const hosts = new Map<string, string>();
function hostOf(baseUrl: string): string {
  let host = hosts.get(baseUrl);
  if (host === undefined) {
    host = new URL(baseUrl).hostname;
    hosts.set(baseUrl, host);
  }
  return host;
}

export async function forward(options: {
  request: FastifyRequest;
  reply: FastifyReply;
  route: ProxyRoute;
  vehicle: OwnedVehicle;
  /** The grant as read with the vehicle, so the token needs no second query. */
  grant: GrantTokens;
  /** How the upstream path names the vehicle: its provider id, or its VIN (decrypted for this call). */
  vehicleKey: string;
  provider: ProviderAdapter;
  accessTokens: AccessTokens;
  appTokens: AppTokens;
  timeoutMs: number;
  /** Shares one upstream call among identical GETs of the same user (the signed-in one) in flight at once. */
  coalesce?: { coalescer: GetCoalescer; userId: string };
  /** Told how long each upstream call took and how it ended (its status, or timeout / unreachable). */
  observeUpstream?: (outcome: string, seconds: number) => void;
  /** Told, before anything is answered, when the provider's error answer tells the vehicle's trouble; may throw. */
  onAnswerCondition?: (condition: AnswerCondition) => Promise<void>;
}): Promise<FastifyReply> {
  const { request, reply, route } = options;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const body = route.method === 'POST' && !route.omitBody ? JSON.stringify(request.body ?? {}) : undefined;
  // A content type announces a body: with none to send (GET, or a command chosen by its body), send none.
  if (body !== undefined) headers['content-type'] = 'application/json';
  else delete headers['content-type'];
  const url = `${options.provider.apiBaseUrl}${route.upstreamPath(options.vehicleKey, request.body)}`;
  const credentials = credentialsFor(
    route,
    options.vehicle,
    options.grant,
    options.provider,
    options.accessTokens,
    options.appTokens,
    request.log,
    traceOf(request),
  );
  const upstreamMethod = route.upstreamMethod ?? route.method;
  const send = async (token: string) => {
    const started = performance.now();
    let outcome = 'unreachable';
    // The route's template, never the upstream URL: that names the provider's vehicle id, or the VIN.
    const span = traceOf(request).child(
      'upstream.call',
      {
        'keyfob.provider': options.provider.name,
        'http.request.method': upstreamMethod,
        'keyfob.route': route.path,
        'server.address': hostOf(options.provider.apiBaseUrl),
      },
      'client',
    );
    const traceparent = span.traceparent();
    try {
      const answer = await callUpstream({
        method: upstreamMethod,
        url,
        headers: {
          ...headers,
          ...credentials.extraHeaders,
          authorization: `Bearer ${token}`,
          ...(traceparent ? { traceparent } : {}),
        },
        body,
        timeoutMs: options.timeoutMs,
      });
      outcome = String(answer.status);
      span.set({ 'http.response.status_code': answer.status });
      return answer;
    } catch (error) {
      if (error instanceof KeyfobError && error.statusCode === 504) outcome = 'timeout';
      span.end(error);
      throw error;
    } finally {
      if (outcome !== 'unreachable' && outcome !== 'timeout') span.end();
      options.observeUpstream?.(outcome, (performance.now() - started) / 1000);
    }
  };

  const exchange = async () => {
    const token = await credentials.token();
    const first = await send(token);
    return first.status === 401 ? send(await credentials.renew(token)) : first;
  };
  const answer: UpstreamAnswer =
    route.method === 'GET' && options.coalesce
      ? await options.coalesce.coalescer.run(
          coalescingKey(options.coalesce.userId, request.url, request.headers),
          route.path,
          exchange,
        )
      : await exchange();
  const condition =
    answer.status >= 300
      ? options.provider.conditionOfAnswer?.(answer.status, answer.body, options.vehicle)
      : undefined;
  if (condition) await options.onAnswerCondition?.(condition);
  const translated = answer.status >= 300 ? options.provider.translateError?.(answer.status, answer.body) : undefined;
  if (translated) {
    if (answer.status === 429 && typeof answer.headers['retry-after'] === 'string') {
      reply.header('retry-after', answer.headers['retry-after']);
    }
    return reply.code(translated.status).send(translated.body);
  }
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && isReturnedHeader(name)) reply.header(name, value);
  }
  if (route.transform && answer.status < 300) {
    const upstreamBody = jsonOf(answer, 'answer');
    const transformed = route.transform(upstreamBody);
    const measured = route.dataAge?.(upstreamBody);
    if (measured) reply.header('sc-data-age', measured);
    return reply.code(answer.status).type('application/json').send(transformed);
  }
  reply.code(answer.status);
  return reply.send(answer.body);
}
