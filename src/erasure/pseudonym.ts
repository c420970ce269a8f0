/**
 * The pseudonym an erasure is recorded under: SHA-256 of the user id with a fixed prefix. One-way (user ids are
 * random UUIDs, 122 bits: nobody can enumerate them), yet a restored backup's users can be matched against it,
 * which is all the ledger needs. Nothing else of the person is kept.
 */
import { createHash } from 'node:crypto';
import { Prisma } from '../generated/prisma/client.ts';

const PREFIX = 'keyfob-erasure:';

export function pseudonymOf(userId: string): string {
  return createHash('sha256')
    .update(PREFIX + userId)
    .digest('hex');
}

/** The same hash computed by Postgres over `users u` (core `sha256`, so PGlite has it too). */
export const USER_PSEUDONYM_SQL = Prisma.sql`encode(sha256(convert_to(${PREFIX} || u.id::text, 'UTF8')), 'hex')`;
