/**
 * The one error class of Keyfob. `code` is a stable, documented string the dashboard can switch on; `expose`
 * says whether `message` may reach the browser (5xx detail never does).
 */
export const ERROR_CODES = {
  BAD_REQUEST: 'bad_request',
  NOT_FOUND: 'not_found',
  UNAUTHENTICATED: 'unauthenticated',
  CSRF_HEADER_MISSING: 'csrf_header_missing',
  ORIGIN_NOT_ALLOWED: 'origin_not_allowed',
  INVALID_STATE: 'invalid_state',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  REAUTH_REQUIRED: 'reauth_required',
  UPSTREAM_UNAVAILABLE: 'upstream_unavailable',
  UPSTREAM_TIMEOUT: 'upstream_timeout',
  RATE_LIMITED: 'rate_limited',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  SERVICE_UNAVAILABLE: 'service_unavailable',
  DATABASE_UNAVAILABLE: 'database_unavailable',
  SESSION_STORE_UNAVAILABLE: 'session_store_unavailable',
  REQUEST_TIMEOUT: 'request_timeout',
  HEADERS_TOO_LARGE: 'headers_too_large',
  METHOD_NOT_ALLOWED: 'method_not_allowed',
  NOT_SUPPORTED_BY_PROVIDER: 'not_supported_by_provider',
  PROVIDER_REQUIRED: 'provider_required',
  PROVIDER_DISABLED: 'provider_disabled',
  PENDING_APPROVAL: 'pending_approval',
  NOT_CLEARED: 'not_cleared',
  OPERATOR_MANAGED: 'operator_managed',
  SIGN_IN_REQUIRED: 'sign_in_required',
  PROVIDER_ERROR: 'provider_error',
  NOT_CAPABLE: 'not_capable',
  INVALID_TOKEN: 'invalid_token',
  INVALID_REQUEST: 'invalid_request',
  MACHINE_AUTH_UNAVAILABLE: 'machine_auth_unavailable',
  PEOPLE_ONLY: 'people_only',
  MACHINES_ONLY: 'machines_only',
  VIN_UNKNOWN: 'vin_unknown',
  NO_DATA: 'no_data',
  DATA_SERVICE_DISABLED: 'data_service_disabled',
  DATA_SERVICE_KEY_REFUSED: 'data_service_key_refused',
  DATA_SERVICE_QUOTA_EXCEEDED: 'data_service_quota_exceeded',
  WEBHOOKS_DISABLED: 'webhooks_disabled',
  BAD_SIGNATURE: 'bad_signature',
  TOO_MANY_STREAMS: 'too_many_streams',
  FRESH_SIGN_IN_REQUIRED: 'fresh_sign_in_required',
  ERASURE_LEDGER_UNAVAILABLE: 'erasure_ledger_unavailable',
  INTERNAL: 'internal_error',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class KeyfobError extends Error {
  override name = 'KeyfobError';
  readonly expose: boolean;

  constructor(
    readonly code: ErrorCode,
    readonly statusCode: number,
    message: string,
    options: {
      cause?: unknown;
      expose?: boolean;
      details?: Record<string, unknown>;
      /** Answer headers (RFC 6750's `WWW-Authenticate`). */
      headers?: Record<string, string>;
      /** Why, for the log only: what the answer must not tell the caller. */
      logDetail?: string;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.expose = options.expose ?? statusCode < 500;
    this.details = options.details;
    this.headers = options.headers;
    this.logDetail = options.logDetail;
  }

  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly logDetail: string | undefined;
}
