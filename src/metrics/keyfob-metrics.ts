/**
 * Keyfob's Prometheus metrics (prom-client), one registry per app so several instances in one process (tests)
 * do not share counters. Labels are route templates (`/api/vehicles/:vehicleId/odometer`), statuses and outcome
 * names: never a user id, vehicle id, VIN or token. Machine client ids are labels: the operator's authorization
 * server issues them (a bounded set), and only a verified token's id is used.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; fine steps below 50 ms where the proxy's own cost shows, coarse above for the provider's. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keyfob_' });
  return {
    registry,
    requests: new Histogram({
      name: 'keyfob_http_request_duration_seconds',
      help: 'Requests served, by route template, method and status (the _count series counts them)',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstream: new Histogram({
      name: 'keyfob_upstream_request_duration_seconds',
      help: 'Calls to the vehicle API, by proxied route and upstream status (timeout, unreachable when none)',
      labelNames: ['route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'keyfob_errors_total',
      help: 'Error answers by error code (unauthenticated, csrf_header_missing, service_unavailable, ...)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'keyfob_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by area (auth, api) and key (ip, session, client)',
      labelNames: ['area', 'key'] as const,
      registers: [registry],
    }),
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
    auditWrites: new Counter({
      name: 'keyfob_audit_events_total',
      help: 'Audit events by what became of them (written; retried after a failed write; dropped when the retry buffer was full)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    coalesced: new Counter({
      name: 'keyfob_upstream_calls_saved_total',
      help: 'Proxied GETs answered from an identical call of the same user already in flight, by route template',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
    keepaliveRuns: new Counter({
      name: 'keyfob_keepalive_runs_total',
      help: 'Keep-alive runs, by how they ended (completed, backed_off)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    machineRequests: new Counter({
      name: 'keyfob_machine_requests_total',
      help: "Machine clients' /api calls by client id (verified tokens; unverified otherwise), the route's scope and outcome",
      labelNames: ['client_id', 'scope', 'outcome'] as const,
      registers: [registry],
    }),
    machineJwksFetches: new Counter({
      name: 'keyfob_machine_jwks_fetches_total',
      help: "Fetches of the machine clients' authorization server key set (at most one a minute for unknown key ids)",
      registers: [registry],
    }),
    dataServiceCalls: new Histogram({
      name: 'keyfob_data_service_request_duration_seconds',
      help: 'Calls to API-key data services (CarsXE), by service, route and outcome',
      labelNames: ['service', 'route', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'keyfob_webhook_deliveries_total',
      help: 'Webhook requests by outcome (stored, duplicate, challenge_answered, challenge_refused, bad_signature, malformed, disabled)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'keyfob_webhook_events_total',
      help: 'Stored webhook events by what processing made of them (applied, unknown_vehicle, kept, malformed, older_value_ignored)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    webhookLag: new Histogram({
      name: 'keyfob_webhook_processing_lag_seconds',
      help: 'Seconds from a webhook delivery stored to its processing',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    vehicleConditions: new Counter({
      name: 'keyfob_vehicle_conditions_total',
      help: "Providers' reports of vehicle trouble (Smartcar VEHICLE_ERROR, High Mobility consent answers) by type, code and state; outcome applied or older_ignored",
      labelNames: ['provider', 'type', 'code', 'state', 'outcome'] as const,
      registers: [registry],
    }),
    liveStreams: new Gauge({
      name: 'keyfob_live_streams',
      help: 'Open live streams (dashboards following their vehicles) on this instance',
      registers: [registry],
    }),
  };
}

export type KeyfobMetrics = ReturnType<typeof createMetrics>;
