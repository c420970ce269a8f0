/**
 * Envelope encryption: every user has a data key of their own (AES-256, random), stored wrapped under the first key
 * of TOKEN_ENCRYPTION_KEYS (the token vault's `kv1` format, bound to the user's row of `user_data_keys`). Every
 * secret of that user is sealed under it as `ku1.<nonce>.<ciphertext+tag>`, bound by additional authenticated data
 * to the user, table, column and row. Destroying the wrapped key makes all of them unreadable at once (erasure);
 * rotating the ring re-wraps one row per user instead of re-encrypting every secret.
 *
 * Written by hand over `node:crypto` for the same reason as token-vault.ts: what we need is the binding of each
 * value to its place, which no envelope library gives us in this shape; the primitives are Node's own.
 *
 * Unwrapped keys are never cached. A row is read together with its user's wrapped key (one join, no extra round
 * trip) and the key is unwrapped inside the one `encrypt` or `decrypt` call that needs it, so a data key lives in
 * memory for microseconds and an erasure cannot leave a live copy behind on any instance. Unwrapping costs one
 * AES-GCM decryption of 32 bytes.
 * @see NIST SP 800-38D (GCM), NIST SP 800-57 Part 1 §6.1 (key-wrapping keys and data keys)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenVault, VaultSlot } from './token-vault.ts';
import { VaultError } from './vault-error.ts';

export const USER_SECRET_FORMAT = 'ku1';
/** The ring's format: a value of a user written before data keys, readable until the move (jobs/) rewrites it. */
const RING_FORMAT_PREFIX = 'kv1.';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const wrapSlot = (userId: string): VaultSlot => ({ table: 'user_data_keys', column: 'wrapped_key', rowId: userId });

function additionalData(userId: string, slot: VaultSlot): Buffer {
  return Buffer.from(`keyfob:user:${userId}:${slot.table}:${slot.column}:${slot.rowId}`, 'utf8');
}

/** The secrets of one user, sealed under their data key (given wrapped, as read beside the row). */
export interface UserSecrets {
  readonly userId: string;
  encrypt(plaintext: string, slot: VaultSlot): string;
  /** Opens a `ku1` value under this user's key, or a `kv1` value not moved yet under the ring. */
  decrypt(ciphertext: string, slot: VaultSlot): string;
}

export interface DataKeys {
  /** A new random data key for the user, wrapped under the ring's first key (for `user_data_keys.wrapped_key`). */
  generateWrapped(userId: string): string;
  /** The user's secrets, given the wrapped key read with the row; null when the key is gone (erased). */
  secretsOf(userId: string, wrappedKey: string | null): UserSecrets;
  /** Re-wraps a data key under the ring's first key (key rotation): the data key itself does not change. */
  rewrap(userId: string, wrappedKey: string): string;
  isUserSecret(ciphertext: string): boolean;
}

export function createDataKeys(vault: TokenVault): DataKeys {
  function unwrap(userId: string, wrappedKey: string): Buffer {
    const key = Buffer.from(vault.decrypt(wrappedKey, wrapSlot(userId)), 'base64');
    if (key.length !== KEY_BYTES) throw new VaultError('stored data key is not 256 bits', 'malformed');
    return key;
  }

  function keyOf(userId: string, wrappedKey: string | null): Buffer {
    if (wrappedKey === null) {
      throw new VaultError(`the data key of user ${userId} is gone (erased): their secrets are unreadable`, 'erased');
    }
    return unwrap(userId, wrappedKey);
  }

  return {
    generateWrapped(userId) {
      return vault.encrypt(randomBytes(KEY_BYTES).toString('base64'), wrapSlot(userId));
    },
    rewrap(userId, wrappedKey) {
      return vault.encrypt(vault.decrypt(wrappedKey, wrapSlot(userId)), wrapSlot(userId));
    },
    isUserSecret: (ciphertext) => ciphertext.startsWith(`${USER_SECRET_FORMAT}.`),
    secretsOf(userId, wrappedKey) {
      return {
        userId,
        encrypt(plaintext, slot) {
          const key = keyOf(userId, wrappedKey);
          const nonce = randomBytes(NONCE_BYTES);
          const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
          cipher.setAAD(additionalData(userId, slot));
          const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
          key.fill(0);
          return [USER_SECRET_FORMAT, nonce.toString('base64url'), body.toString('base64url')].join('.');
        },
        decrypt(ciphertext, slot) {
          if (ciphertext.startsWith(RING_FORMAT_PREFIX)) return vault.decrypt(ciphertext, slot);
          const parts = ciphertext.split('.');
          if (parts.length !== 3 || parts[0] !== USER_SECRET_FORMAT) {
            throw new VaultError('stored value is not vault ciphertext', 'malformed');
          }
          const nonce = Buffer.from(parts[1] as string, 'base64url');
          const body = Buffer.from(parts[2] as string, 'base64url');
          if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
            throw new VaultError('stored value is not vault ciphertext', 'malformed');
          }
          const key = keyOf(userId, wrappedKey);
          const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
          decipher.setAAD(additionalData(userId, slot));
          decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
          try {
            return Buffer.concat([
              decipher.update(body.subarray(0, body.length - TAG_BYTES)),
              decipher.final(),
            ]).toString('utf8');
          } catch {
            throw new VaultError(
              `value in ${slot.table}.${slot.column} failed authentication (tampered, another user's, or copied from another row)`,
              'authentication_failed',
            );
          } finally {
            key.fill(0);
          }
        },
      };
    },
  };
}
