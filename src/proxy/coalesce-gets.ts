/**
 * One upstream call for identical GETs in flight at the same moment. Several tabs and dashboards of one user poll
 * the same vehicle, and the provider bills and rate-limits every call: a GET that finds an identical one of the
 * same user already on its way waits for that call's answer instead of sending its own. Rules:
 * - identical means the same user, the same request target (vehicle, route and query) and the same forwarded
 *   request headers (units, language and format change the answer): the key holds all of them, so one user's
 *   answer never reaches another user;
 * - only GETs, which change nothing upstream; a command is always sent once per request;
 * - nothing is cached: the flight is forgotten as soon as its answer (or error) arrives, so a GET that starts
 *   after it gets a fresh call;
 * - each browser request is still checked (session, CSRF, ownership, scope), answered, logged and audited on its
 *   own; only the upstream call is shared.
 * Written here because no Fastify or undici plugin deduplicates calls by a key of ours (user and forwarded
 * headers), and the rule is a dozen lines.
 */
import type { UpstreamAnswer } from '../providers/upstream-client.ts';
import { FORWARDED_REQUEST_HEADERS } from './header-policy.ts';

export function coalescingKey(userId: string, url: string, headers: Record<string, string | string[] | undefined>) {
  let key = `${userId}\n${url}`;
  for (const name of FORWARDED_REQUEST_HEADERS) key += `\n${headers[name] ?? ''}`;
  return key;
}

export function createGetCoalescer(onShared: (route: string) => void) {
  const inFlight = new Map<string, Promise<UpstreamAnswer>>();
  return {
    /** The answer of the identical call in flight under `key`, or of `call` (then shared with those that follow). */
    run(key: string, route: string, call: () => Promise<UpstreamAnswer>): Promise<UpstreamAnswer> {
      const joined = inFlight.get(key);
      if (joined) {
        onShared(route);
        return joined;
      }
      const flight = call().finally(() => inFlight.delete(key));
      inFlight.set(key, flight);
      return flight;
    },
  };
}

export type GetCoalescer = ReturnType<typeof createGetCoalescer>;
