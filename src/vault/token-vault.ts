/**
 * AES-256-GCM encryption bound to where a value is stored.
 * @see NIST SP 800-38D (GCM: 96-bit IVs, never reused under one key; random IVs are safe far beyond our volume)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRingEntry } from '../config/key-ring-format.ts';
import { VaultError } from './vault-error.ts';

const FORMAT = 'kv1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Where a ciphertext lives. The vault refuses to decrypt it anywhere else. */
export interface VaultSlot {
  table: string;
  column: string;
  rowId: string;
}

function additionalData(slot: VaultSlot): Buffer {
  return Buffer.from(`keyfob:${slot.table}:${slot.column}:${slot.rowId}`, 'utf8');
}

export interface TokenVault {
  encrypt(plaintext: string, slot: VaultSlot): string;
  decrypt(ciphertext: string, slot: VaultSlot): string;
  /** The key id a stored value was written under (key rotation re-encrypts what is not under the first key). */
  keyIdOf(ciphertext: string): string;
  readonly currentKeyId: string;
}

/** Builds a vault over a key ring; the first key encrypts, all decrypt. */
export function createTokenVault(keyRing: readonly KeyRingEntry[]): TokenVault {
  const [current] = keyRing;
  if (!current) throw new Error('the token vault needs at least one key');
  const keys = new Map(keyRing.map((entry) => [entry.id, entry.key]));

  function split(ciphertext: string) {
    const parts = ciphertext.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT) {
      throw new VaultError('stored value is not vault ciphertext', 'malformed');
    }
    const [, keyId, nonce, body] = parts as [string, string, string, string];
    return { keyId, nonce: Buffer.from(nonce, 'base64url'), body: Buffer.from(body, 'base64url') };
  }

  return {
    currentKeyId: current.id,
    encrypt(plaintext, slot) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(slot));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [FORMAT, current.id, nonce.toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(ciphertext, slot) {
      const { keyId, nonce, body } = split(ciphertext);
      const key = keys.get(keyId);
      if (!key) {
        throw new VaultError(
          `value was encrypted with key "${keyId}", which is not in TOKEN_ENCRYPTION_KEYS`,
          'unknown_key',
        );
      }
      if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
        throw new VaultError('stored value is not vault ciphertext', 'malformed');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(slot));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new VaultError(
          `value in ${slot.table}.${slot.column} failed authentication (tampered, or copied from another row)`,
          'authentication_failed',
        );
      }
    },
    keyIdOf(ciphertext) {
      return split(ciphertext).keyId;
    },
  };
}
