/**
 * Parses TOKEN_ENCRYPTION_KEYS: `id:base64key,id:base64key`. The first entry encrypts, every entry decrypts, so a
 * rotation adds the new key in front and keeps the old one until `npm run rotate-keys` has re-encrypted the rows.
 */
export interface KeyRingEntry {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Returns the entries, or the problems found (each names the entry it concerns). */
export function parseKeyRing(text: string): { entries: KeyRingEntry[]; problems: string[] } {
  const entries: KeyRingEntry[] = [];
  const problems: string[] = [];
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) problems.push('no key given');
  for (const [index, part] of parts.entries()) {
    const colon = part.indexOf(':');
    const id = colon > 0 ? part.slice(0, colon) : '';
    const encoded = colon > 0 ? part.slice(colon + 1) : '';
    if (!KEY_ID.test(id)) {
      problems.push(`entry ${index + 1} needs an id of 1-32 letters, digits, _ or - before the colon`);
      continue;
    }
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) {
      problems.push(`key "${id}" must be 32 bytes in base64 (got ${key.length} bytes)`);
      continue;
    }
    if (entries.some((entry) => entry.id === id)) {
      problems.push(`key id "${id}" appears twice`);
      continue;
    }
    entries.push({ id, key });
  }
  return { entries, problems };
}
