/** Masks that keep log lines useful without holding a secret. */

/** `WBA7E2C5XKG123456` becomes `*************3456`: enough to tell cars apart, not enough to identify one. */
export function maskVin(vin: string | null | undefined): string | null {
  if (!vin) return null;
  const visible = vin.slice(-4);
  return `${'*'.repeat(Math.max(vin.length - 4, 0))}${visible}`;
}

/** Field names whose values never reach a log line, wherever they are nested. */
export const SENSITIVE_KEY =
  /(token|secret|password|passwd|authorization|cookie|verifier|assertion|api[-_]?key|^code$|^key$|^state$)/i;
export const VIN_KEY = /^vin$/i;

/** Query parameters of a URL that hold a credential or a one-time value. */
const SENSITIVE_QUERY = /^(code|state|code_verifier|access_token|refresh_token|id_token|token|key|client_secret|vin)$/i;

/** Replaces the values of sensitive query parameters, keeping the URL's shape for debugging. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  const kept: string[] = [];
  for (const [name, value] of params) {
    kept.push(`${encodeURIComponent(name)}=${SENSITIVE_QUERY.test(name) ? '[redacted]' : encodeURIComponent(value)}`);
  }
  return `${url.slice(0, queryStart)}?${kept.join('&')}`;
}

/** Returns a copy of a log object with every sensitive field redacted and VINs masked, at any depth. */
export function scrubLogObject(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  // Only plain objects are walked: requests, replies and errors are left to pino's serializers.
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubLogObject(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SENSITIVE_KEY.test(key)) copy[key] = '[redacted]';
    else if (VIN_KEY.test(key)) copy[key] = typeof item === 'string' ? maskVin(item) : '[redacted]';
    else copy[key] = scrubLogObject(item, depth + 1);
  }
  return copy;
}
