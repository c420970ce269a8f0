/**
 * The rate limits of `/auth/*` and `/api/*`: one counter per client IP and one per session, in each area.
 * Either refuses with 429, `retry-after` and a JSON body; a limit of 0 is off.
 *
 * - Per IP runs as a request arrives, before the session lookup, so a flood with made-up cookies costs one
 *   counter increment per request, not a session-store read.
 * - Per session runs once the session is known, and counts only sessions the browser brought along (a request
 *   without one would get a fresh id, and a fresh allowance, each time).
 * Two counters rather than one keyed on both: an attacker rotating cookies still meets the IP limit, and people
 * sharing one address (an office, a carrier NAT) each keep their own session allowance.
 */
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/load-config.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

type Area = 'auth' | 'api';
type KeyKind = 'ip' | 'session';
type Check = (request: FastifyRequest) => Promise<void>;

function limiter(app: FastifyInstance, area: Area, kind: KeyKind, max: number, key: (r: FastifyRequest) => string) {
  const limit = app.createRateLimit({ max, keyGenerator: (request) => `${area}:${kind}:${key(request)}` });
  return async (request: FastifyRequest) => {
    const result = await limit(request);
    if (result.isAllowed || !result.isExceeded) return;
    app.metrics.rateLimited.inc({ area, key: kind });
    throw new KeyfobError(ERROR_CODES.RATE_LIMITED, 429, `too many requests; retry in ${result.ttlInSeconds} s`, {
      details: { retryAfterSeconds: result.ttlInSeconds },
    });
  };
}

function areaOf(url: string): Area | undefined {
  if (url.startsWith('/api/') || url === '/api') return 'api';
  if (url.startsWith('/auth/')) return 'auth';
  return undefined;
}

/** A root `onRequest` hook applying each area's per-IP limit; register it before the session plugin. */
export function perIpRateLimit(app: FastifyInstance, limits: Config['rateLimits']) {
  const ip = (request: FastifyRequest) => normalizeIP(request.ip, 64);
  const checks: Partial<Record<Area, Check>> = {};
  if (limits.auth.perIp > 0) checks.auth = limiter(app, 'auth', 'ip', limits.auth.perIp, ip);
  if (limits.api.perIp > 0) checks.api = limiter(app, 'api', 'ip', limits.api.perIp, ip);
  return async (request: FastifyRequest) => {
    const area = areaOf(request.url);
    const check = area && checks[area];
    if (check) await check(request);
  };
}

/** An area's per-session limit, for a hook to await once the session is attached. */
export function perSessionRateLimit(app: FastifyInstance, area: Area, max: number): Check {
  if (max === 0) return async () => undefined;
  const check = limiter(app, area, 'session', max, (request) => request.session.sessionId);
  return async (request) => {
    if (request.session.existing) await check(request);
  };
}
