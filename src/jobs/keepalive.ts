/**
 * Keep-alive: Smartcar refresh tokens die after 60 days unused, so a user who does not come back would lose the
 * connection. This job refreshes grants whose refresh token expires within a window:
 * - in batches claimed with `FOR UPDATE SKIP LOCKED` plus a claim column, so several instances share the work
 *   and none takes a grant another has claimed;
 * - each refresh goes through the same one-refresh-per-grant path as requests (lease, re-read, rotate, fenced
 *   store); a grant whose lease a request holds is being refreshed already, and is left to it;
 * - `invalid_grant` marks the grant reauth_required; provider errors and rate limits make the run back off
 *   (exponentially) and stop after a few in a row, leaving the remaining claims to expire for a later run.
 */

import type { GrantRepository } from '../repositories/grants.ts';
import type { AccessTokens, KeepAliveOutcome } from '../tokens/access-tokens.ts';

export interface KeepAliveSettings {
  windowMs: number;
  batchSize: number;
  /** Grants refreshed at once within a batch. */
  concurrency: number;
  /** Provider failures in a row after which the run stops. */
  maxConsecutiveFailures: number;
  initialBackoffMs: number;
}

export interface KeepAliveReport {
  claimed: number;
  outcomes: Partial<Record<KeepAliveOutcome, number>>;
  backedOff: boolean;
  ms: number;
}

export const DEFAULT_KEEPALIVE: KeepAliveSettings = {
  windowMs: 7 * 24 * 3600 * 1000,
  batchSize: 100,
  concurrency: 8,
  maxConsecutiveFailures: 3,
  initialBackoffMs: 1000,
};

const PROVIDER_TROUBLE = new Set<KeepAliveOutcome>([
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
]);

export async function runKeepAlive(deps: {
  grants: GrantRepository;
  accessTokens: AccessTokens;
  settings?: Partial<KeepAliveSettings>;
  log: { info(object: object, message: string): void; warn(object: object, message: string): void };
  onOutcome?: (outcome: KeepAliveOutcome) => void;
}): Promise<KeepAliveReport> {
  const settings = { ...DEFAULT_KEEPALIVE, ...deps.settings };
  const started = performance.now();
  const before = new Date(Date.now() + settings.windowMs);
  const outcomes: KeepAliveReport['outcomes'] = {};
  let claimed = 0;
  let failuresInARow = 0;
  let backoffMs = settings.initialBackoffMs;
  // A claim outlives a batch's worst case: every grant waiting on a slow provider, one after the other.
  const claimMs = 60_000 + settings.batchSize * 1000;
  for (;;) {
    const ids = await deps.grants.claimExpiring(before, settings.batchSize, claimMs);
    if (ids.length === 0) break;
    claimed += ids.length;
    const queue = [...ids];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const id = queue.shift();
        if (!id) return;
        const outcome = await deps.accessTokens.keepAlive(id, before).catch(() => 'provider_unavailable' as const);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        deps.onOutcome?.(outcome);
        if (!PROVIDER_TROUBLE.has(outcome)) {
          failuresInARow = 0;
          continue;
        }
        failuresInARow += 1;
        if (failuresInARow >= settings.maxConsecutiveFailures) {
          stop = true;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 60_000);
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, ids.length) }, worker));
    if (stop) {
      const report = { claimed, outcomes, backedOff: true, ms: performance.now() - started };
      deps.log.warn(report, 'keep-alive backed off after provider failures');
      return report;
    }
  }
  const report = { claimed, outcomes, backedOff: false, ms: performance.now() - started };
  deps.log.info(report, 'keep-alive run finished');
  return report;
}
