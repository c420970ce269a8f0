/**
 * Where a login may return the browser: a same-origin relative path, or `/` for anything else. Refused: absolute
 * and scheme-relative URLs (`//evil.example`), backslashes (browsers read `/\evil.example` as `//evil.example`),
 * encoded slashes and backslashes, and control characters.
 */
const SAFE_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512 || !SAFE_PATH.test(value)) return '/';
  if (/%(2f|5c|0[0-9a-f]|1[0-9a-f]|7f)/i.test(value) || value.includes('\\')) return '/';
  return value;
}
