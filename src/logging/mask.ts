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

/** A path segment that is a VIN (`/api/vin/:vin/specs`): 17 characters, no I, O or Q. */
const VIN_SEGMENT = /(?<=\/)[A-HJ-NPR-Z0-9]{17}(?=\/|$)/gi;

function maskPathVins(path: string): string {
  return path.replace(VIN_SEGMENT, (vin) => maskVin(vin) as string);
}

/**
 * Replaces the values of sensitive query parameters and masks VINs in the path, keeping the URL's shape for
 * debugging.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return maskPathVins(url);
  const params = new URLSearchParams(url.slice(queryStart + 1));
  const kept: string[] = [];
  for (const [name, value] of params) {
    kept.push(`${encodeURIComponent(name)}=${SENSITIVE_QUERY.test(name) ? '[redacted]' : encodeURIComponent(value)}`);
  }
  return `${maskPathVins(url.slice(0, queryStart))}?${kept.join('&')}`;
}

const PLAIN = 0;
const SENSITIVE = 1;
const VIN = 2;
/** Field names seen before and what they are: every log line runs through here, with the same few names. */
const keyKinds = new Map<string, number>();
const MAX_REMEMBERED_KEYS = 1_000;

function kindOf(key: string): number {
  let kind = keyKinds.get(key);
  if (kind === undefined) {
    kind = SENSITIVE_KEY.test(key) ? SENSITIVE : VIN_KEY.test(key) ? VIN : PLAIN;
    if (keyKinds.size < MAX_REMEMBERED_KEYS) keyKinds.set(key, kind);
  }
  return kind;
}

function isWalked(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  // Only plain objects and arrays are walked: requests, replies and errors are left to pino's serializers.
  const prototype = Object.getPrototypeOf(value);
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

/**
 * A log object with every sensitive field redacted and VINs masked, at any depth: the object itself when there is
 * nothing to change (most lines: a few plain fields), otherwise a copy.
 */
export function scrubLogObject(value: unknown, depth = 0): unknown {
  if (depth > 8 || !isWalked(value)) return value;
  if (Array.isArray(value)) return value.map((item) => scrubLogObject(item, depth + 1));
  const entries = Object.entries(value);
  if (entries.every(([key, item]) => kindOf(key) === PLAIN && !isWalked(item))) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const kind = kindOf(key);
    if (kind === SENSITIVE) copy[key] = '[redacted]';
    else if (kind === VIN) copy[key] = typeof item === 'string' ? maskVin(item) : '[redacted]';
    else copy[key] = scrubLogObject(item, depth + 1);
  }
  return copy;
}
