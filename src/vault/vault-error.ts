/** A value that cannot be decrypted: tampered, moved to another row, or written under a key no longer in the ring. */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'unknown_key' | 'authentication_failed',
  ) {
    super(message);
    this.name = 'VaultError';
  }
}
