/**
 * Where a login may return the browser: a same-origin relative path, or `/` for anything else. Refused: absolute
 * and scheme-relative URLs (`//evil.example`), backslashes (browsers read `/\evil.example` as `//evil.example`),
 * encoded slashes and backslashes, control characters, and any of these hidden under one or more further layers
 * of percent-encoding (`/%252F%252Fevil.example`), since some router along the way may decode again.
 */
const SAFE_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const ENCODED_DANGER = /%(2f|5c|0[0-9a-f]|1[0-9a-f]|7f)/i;
const MAX_DECODING_LAYERS = 4;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function safeLayer(value: string): boolean {
  return !value.startsWith('//') && !value.includes('\\') && !hasControlCharacter(value);
}

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512 || !SAFE_PATH.test(value)) return '/';
  let layer = value;
  for (let depth = 0; depth < MAX_DECODING_LAYERS; depth++) {
    if (ENCODED_DANGER.test(layer) || !safeLayer(layer)) return '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(layer);
    } catch {
      return '/';
    }
    if (decoded === layer) return value;
    layer = decoded;
  }
  return '/';
}
