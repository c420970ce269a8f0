/**
 * The session cookie's signer (@fastify/cookie's HMAC-SHA256 Signer), remembering its recent answers: every request
 * verifies its cookie, and @fastify/session signs the same id again, two HMACs per call for the same few values.
 * Only verifications that succeeded are remembered (garbage cookies cannot fill the memory), the key is the exact
 * input, and the secret never changes while the process runs, so a remembered answer is the answer the HMAC would
 * give. Bounded in entries and in age.
 */
import { Signer, type UnsignResult } from '@fastify/cookie';
import { BoundedMap } from '../cache/bounded-map.ts';

const MAX_ENTRIES = 20_000;
const MAX_AGE_MS = 10 * 60_000;

export function memoizedSigner(secret: string): Pick<Signer, 'sign' | 'unsign'> {
  const signer = new Signer(secret);
  const signed = new BoundedMap<string, string>(MAX_ENTRIES, MAX_AGE_MS);
  const verified = new BoundedMap<string, UnsignResult>(MAX_ENTRIES, MAX_AGE_MS);
  return {
    sign(value: string) {
      let answer = signed.get(value);
      if (answer === undefined) {
        answer = signer.sign(value);
        signed.set(value, answer);
      }
      return answer;
    },
    unsign(input: string) {
      const remembered = verified.get(input);
      if (remembered) return { ...remembered };
      const answer = signer.unsign(input);
      if (answer.valid && !answer.renew) verified.set(input, { ...answer });
      return answer;
    },
  };
}
