/**
 * One proxied call: Bearer token from the vault (refreshed when it expires within 60 s), the allowed request
 * headers, the upstream answer's status and body kept (Smartcar error bodies included), only the allowed answer
 * headers returned. On an upstream 401 the token is refreshed once and the call retried once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderAdapter, ProxyRoute } from '../providers/provider-adapter.ts';
import { callUpstream, type UpstreamAnswer } from '../providers/upstream-client.ts';
import type { AccessTokens } from '../tokens/access-tokens.ts';
import { FORWARDED_REQUEST_HEADERS, isReturnedHeader } from './header-policy.ts';

export async function forward(options: {
  request: FastifyRequest;
  reply: FastifyReply;
  route: ProxyRoute;
  providerVehicleId: string;
  grantId: string;
  provider: ProviderAdapter;
  accessTokens: AccessTokens;
  timeoutMs: number;
}): Promise<FastifyReply> {
  const { request, reply, route } = options;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const body = route.method === 'POST' ? JSON.stringify(request.body ?? {}) : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const url = `${options.provider.apiBaseUrl}${route.upstreamPath(options.providerVehicleId)}`;
  const send = (token: string) =>
    callUpstream({
      method: route.method,
      url,
      headers: { ...headers, authorization: `Bearer ${token}` },
      body,
      timeoutMs: options.timeoutMs,
    });

  let token = await options.accessTokens.forGrant(options.grantId);
  let answer: UpstreamAnswer = await send(token);
  if (answer.status === 401) {
    token = await options.accessTokens.forGrant(options.grantId, { staleToken: token });
    answer = await send(token);
  }
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && isReturnedHeader(name)) reply.header(name, value);
  }
  return reply.send(answer.body);
}
