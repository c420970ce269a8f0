/**
 * The rate limits of `/auth/*` and `/api/*`: one counter per client IP and one per session, in each area.
 * Either refuses with 429, `retry-after` and a JSON body; a limit of 0 is off. Counting is synchronous
 * (rate-limit-counters.ts), so a check costs no promise.
 *
 * - Per IP runs as a request arrives, before the session lookup, so a flood with made-up cookies costs one
 *   counter increment per request, not a session-store read.
 * - Per session runs once the session is known, and counts only sessions the browser brought along (a request
 *   without one would get a fresh id, and a fresh allowance, each time).
 * - Per machine client runs once its access token is verified, keyed by the token's `client_id`.
 * Two counters rather than one keyed on both: an attacker rotating cookies still meets the IP limit, and people
 * sharing one address (an office, a carrier NAT) each keep their own session allowance.
 */
// normalizeIP groups an IPv6 client by its /64, as one subscriber usually holds the whole prefix.
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/load-config.ts';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

type Area = 'auth' | 'api';
type KeyKind = 'ip' | 'session' | 'client';
type Check = (request: FastifyRequest) => void;

function limiter(app: FastifyInstance, area: Area, kind: KeyKind, max: number, key: (r: FastifyRequest) => string) {
  const { windowMs } = app.config.rateLimits;
  return (request: FastifyRequest) => {
    const { current, ttlMs } = app.rateLimitCounters.count(`${area}:${kind}:${key(request)}`, windowMs);
    if (current <= max) return;
    app.metrics.rateLimited.inc({ area, key: kind });
    const retryAfterSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
    throw new KeyfobError(ERROR_CODES.RATE_LIMITED, 429, `too many requests; retry in ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
    });
  };
}

function areaOf(url: string): Area | undefined {
  if (url.startsWith('/api/') || url === '/api') return 'api';
  if (url.startsWith('/auth/')) return 'auth';
  return undefined;
}

/** A root `onRequest` hook applying each area's per-IP limit; register it before any session is read. */
export function perIpRateLimit(app: FastifyInstance, limits: Config['rateLimits']) {
  const ip = (request: FastifyRequest) => normalizeIP(request.ip, 64);
  const checks: Partial<Record<Area, Check>> = {};
  if (limits.auth.perIp > 0) checks.auth = limiter(app, 'auth', 'ip', limits.auth.perIp, ip);
  if (limits.api.perIp > 0) checks.api = limiter(app, 'api', 'ip', limits.api.perIp, ip);
  return (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void) => {
    const area = areaOf(request.url);
    const check = area && checks[area];
    try {
      if (check) check(request);
    } catch (error) {
      return done(error as Error);
    }
    done();
  };
}

/** An area's per-session limit, for a hook to call once the session is attached. */
export function perSessionRateLimit(app: FastifyInstance, area: Area, max: number): Check {
  if (max === 0) return () => undefined;
  const check = limiter(app, area, 'session', max, (request) => request.session.sessionId);
  return (request) => {
    if (app.sessions.existing(request.session)) check(request);
  };
}

/** `/api`'s per-machine-client limit (the guide's example: one client calling `/history` over and over). */
export function perMachineClientRateLimit(app: FastifyInstance, max: number): Check {
  if (max === 0) return () => undefined;
  return limiter(app, 'api', 'client', max, (request) =>
    request.principal?.kind === 'machine' ? request.principal.clientId : '',
  );
}
