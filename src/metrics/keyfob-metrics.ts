/**
 * Keyfob's Prometheus metrics (prom-client), one registry per app so several instances in one process (tests)
 * do not share counters. No label ever holds a user id, vehicle id, VIN or token.
 */
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keyfob_' });
  return {
    registry,
    refreshes: new Counter({
      name: 'keyfob_token_refreshes_total',
      help: 'Token refreshes by outcome (refreshed, reused_other_instance, grant_refused, provider_unavailable, ...)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    keepalive: new Counter({
      name: 'keyfob_keepalive_grants_total',
      help: 'Grants handled by the keep-alive job, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    keepaliveRuns: new Counter({
      name: 'keyfob_keepalive_runs_total',
      help: 'Keep-alive runs, by how they ended (completed, backed_off)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type KeyfobMetrics = ReturnType<typeof createMetrics>;
