/**
 * Smartcar's webhook signature: `SC-Signature` is the lowercase hex HMAC-SHA256 of the body, keyed with the
 * application's Application Management Token. Checked over the raw bytes as received (never a re-serialisation),
 * in constant time.
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Webhooks)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'sc-signature';
const HEX_SHA256 = /^[0-9a-f]{64}$/;

export function smartcarHmac(amt: string, message: string | Buffer): string {
  return createHmac('sha256', amt).update(message).digest('hex');
}

export function validSignature(amt: string, rawBody: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !HEX_SHA256.test(header)) return false;
  const expected = Buffer.from(smartcarHmac(amt, rawBody), 'hex');
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}
