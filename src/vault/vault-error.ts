/**
 * A value that cannot be decrypted: tampered, moved to another row or user, written under a key no longer in the
 * ring, or sealed under the data key of a user who was erased.
 */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'unknown_key' | 'authentication_failed' | 'erased',
  ) {
    super(message);
    this.name = 'VaultError';
  }
}
