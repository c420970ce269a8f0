/**
 * Per-user data keys: a value sealed for one user opens for that user, in that place, only. Another user's key, a
 * swapped wrapped key, another row or column, a tampered byte: all refused. An erased user's (null) key opens
 * nothing; values written before data keys (`kv1`) still open; re-wrapping under a new ring key keeps the data key.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createDataKeys } from '../../src/vault/data-keys.ts';
import { createTokenVault } from '../../src/vault/token-vault.ts';
import { VaultError } from '../../src/vault/vault-error.ts';

const ring = (...ids: string[]) => createTokenVault(ids.map((id) => ({ id, key: randomBytes(32) })));
const slot = { table: 'grants', column: 'refresh_token_enc', rowId: randomUUID() };
const TOKEN = 'refresh-token-of-alex';

test("a user's ciphertext opens only under that user's key and in its own row", () => {
  const dataKeys = createDataKeys(ring('k1'));
  const [alex, sam] = [randomUUID(), randomUUID()];
  const alexKey = dataKeys.generateWrapped(alex);
  const samKey = dataKeys.generateWrapped(sam);
  const sealed = dataKeys.secretsOf(alex, alexKey).encrypt(TOKEN, slot);
  assert.match(sealed, /^ku1\./);
  assert.equal(dataKeys.secretsOf(alex, alexKey).decrypt(sealed, slot), TOKEN);

  assert.throws(() => dataKeys.secretsOf(sam, samKey).decrypt(sealed, slot), /failed authentication/, "Sam's key");
  // Alex's wrapped key copied to Sam's row does not unwrap there: it is bound to Alex's row of user_data_keys.
  assert.throws(() => dataKeys.secretsOf(sam, alexKey).decrypt(sealed, slot), VaultError, "Alex's key in Sam's row");
  for (const elsewhere of [
    { ...slot, rowId: randomUUID() },
    { ...slot, column: 'access_token_enc' },
    { ...slot, table: 'oidc_sessions' },
  ]) {
    assert.throws(() => dataKeys.secretsOf(alex, alexKey).decrypt(sealed, elsewhere), /failed authentication/);
  }
  const [format, nonce, body] = sealed.split('.') as [string, string, string];
  const flipped = Buffer.from(body, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(
    () => dataKeys.secretsOf(alex, alexKey).decrypt([format, nonce, flipped.toString('base64url')].join('.'), slot),
    /failed authentication/,
  );
});

test("an erased user's secrets open under no key; values from before data keys still open", () => {
  const vault = ring('k1');
  const dataKeys = createDataKeys(vault);
  const alex = randomUUID();
  const sealed = dataKeys.secretsOf(alex, dataKeys.generateWrapped(alex)).encrypt(TOKEN, slot);
  assert.throws(
    () => dataKeys.secretsOf(alex, null).decrypt(sealed, slot),
    (error: unknown) => error instanceof VaultError && error.reason === 'erased',
  );
  assert.throws(() => dataKeys.secretsOf(alex, null).encrypt(TOKEN, slot), /erased/, 'nor is anything sealed for them');
  assert.throws(
    () => dataKeys.secretsOf(alex, dataKeys.generateWrapped(alex)).decrypt(sealed, slot),
    /failed authentication/,
    'a new key for the same user opens nothing of the old one',
  );
  const legacy = vault.encrypt(TOKEN, slot);
  assert.equal(dataKeys.secretsOf(alex, null).decrypt(legacy, slot), TOKEN, 'kv1 values open during the move');
});

test('re-wrapping under a new ring key keeps the data key: old ciphertexts open, the old ring key is not needed', () => {
  const oldKey = { id: 'old', key: randomBytes(32) };
  const newKey = { id: 'new', key: randomBytes(32) };
  const before = createDataKeys(createTokenVault([oldKey]));
  const alex = randomUUID();
  const wrapped = before.generateWrapped(alex);
  const sealed = before.secretsOf(alex, wrapped).encrypt(TOKEN, slot);
  const rewrapped = createDataKeys(createTokenVault([newKey, oldKey])).rewrap(alex, wrapped);
  assert.match(rewrapped, /^kv1\.new\./);
  const after = createDataKeys(createTokenVault([newKey]));
  assert.equal(after.secretsOf(alex, rewrapped).decrypt(sealed, slot), TOKEN);
  assert.throws(() => after.secretsOf(alex, wrapped).decrypt(sealed, slot), /not in TOKEN_ENCRYPTION_KEYS/);
});
