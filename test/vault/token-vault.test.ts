import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { VaultError } from '../../src/vault/vault-error.ts';

const entry = (id: string) => ({ id, key: randomBytes(32) });
const slot = { table: 'grants', column: 'refresh_token_enc', rowId: 'f0b6a1f4-0000-4000-8000-000000000001' };
const TOKEN = '1f2e3d4c-5b6a-4789-8abc-def012345678';

test('round trip, and the ciphertext holds neither the plaintext nor a repeated nonce', () => {
  const vault = createTokenVault([entry('k1')]);
  const a = vault.encrypt(TOKEN, slot);
  const b = vault.encrypt(TOKEN, slot);
  assert.equal(vault.decrypt(a, slot), TOKEN);
  assert.notEqual(a, b, 'a fresh nonce for every value');
  assert.ok(!a.includes(TOKEN));
  assert.equal(a.split('.')[1], 'k1', 'the key id travels with the ciphertext');
  assert.equal(Buffer.from(a.split('.')[2] ?? '', 'base64url').length, 12, '96-bit nonce');
});

test('a ciphertext moved to another row or column fails loudly', () => {
  const vault = createTokenVault([entry('k1')]);
  const sealed = vault.encrypt(TOKEN, slot);
  for (const other of [
    { ...slot, rowId: 'f0b6a1f4-0000-4000-8000-000000000002' },
    { ...slot, column: 'access_token_enc' },
    { ...slot, table: 'vehicles' },
  ]) {
    assert.throws(
      () => vault.decrypt(sealed, other),
      (error: unknown) => {
        return error instanceof VaultError && error.reason === 'authentication_failed';
      },
    );
  }
});

test('tampering with any part is detected', () => {
  const vault = createTokenVault([entry('k1')]);
  const [format, id, nonce, body] = vault.encrypt(TOKEN, slot).split('.') as [string, string, string, string];
  const flipped = Buffer.from(body, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(() => vault.decrypt([format, id, nonce, flipped.toString('base64url')].join('.'), slot), VaultError);
  assert.throws(() => vault.decrypt('plaintext-token', slot), /not vault ciphertext/);
});

test('a value under a key missing from the ring fails loudly, naming the key', () => {
  const sealed = createTokenVault([entry('gone')]).encrypt(TOKEN, slot);
  assert.throws(
    () => createTokenVault([entry('k2')]).decrypt(sealed, slot),
    /key "gone".*not in TOKEN_ENCRYPTION_KEYS/,
  );
});

test('rotation: new key first, old kept, old values still decrypt and new ones use the new key', () => {
  const old = entry('old');
  const sealedBefore = createTokenVault([old]).encrypt(TOKEN, slot);
  const rotated = createTokenVault([entry('new'), old]);
  assert.equal(rotated.decrypt(sealedBefore, slot), TOKEN);
  assert.equal(rotated.keyIdOf(sealedBefore), 'old');
  assert.equal(rotated.keyIdOf(rotated.encrypt(TOKEN, slot)), 'new');
  assert.equal(rotated.currentKeyId, 'new');
});
