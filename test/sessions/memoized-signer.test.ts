/** The session cookie signer that remembers its answers gives exactly the answers of the HMAC it wraps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Signer } from '@fastify/cookie';
import { memoizedSigner } from '../../src/sessions/memoized-signer.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters';

test('remembered answers equal the HMAC answers, for good and tampered cookies alike, asked again and again', () => {
  const plain = new Signer(SECRET);
  const memoized = memoizedSigner(SECRET);
  const good = plain.sign('session-id-1');
  const inputs = [good, `${good}x`, good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 'session-id-1', '', '.', good];
  for (let round = 0; round < 3; round++) {
    for (const input of inputs) assert.deepEqual(memoized.unsign(input), plain.unsign(input), JSON.stringify(input));
    assert.equal(memoized.sign('session-id-1'), good);
  }
  const other = memoizedSigner('another-secret-of-at-least-32-characters!!');
  assert.equal(other.unsign(good).valid, false, 'a cookie signed with another secret is refused');
});

test('a caller changing an answer does not change the next one', () => {
  const memoized = memoizedSigner(SECRET);
  const good = new Signer(SECRET).sign('session-id-2');
  const first = memoized.unsign(good);
  (first as { value: string | null }).value = 'someone-else';
  assert.equal(memoized.unsign(good).value, 'session-id-2');
});
