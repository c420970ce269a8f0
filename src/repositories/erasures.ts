/**
 * The database side of an erasure: the user's data key destroyed, every row of theirs deleted (their vehicles'
 * signals, history and machine grants go with the vehicles), their audit trail deleted, and one `erasures` row
 * recorded in its place, all in one transaction.
 */
import type { Database } from '../db/prisma-client.ts';
import { USER_PSEUDONYM_SQL } from '../erasure/pseudonym.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { auditTrailOf } from './audit.ts';
import type { DatabaseClient } from './database-client.ts';

export interface ErasureRecord {
  pseudonym: string;
  erasedAt: Date;
  requestedBy: string;
  disconnections: Array<{ provider: string; outcome: string }>;
}

export function createErasureRepository(db: Database) {
  return {
    /** Deletes everything of the user and records the erasure; false when there was no such user. */
    async eraseRows(userId: string, record: ErasureRecord, options: { reapplied?: boolean } = {}): Promise<boolean> {
      return db.$transaction(async (tx) => {
        // Locked first: an audit event being written for the user finishes before this goes on (audit.ts).
        await tx.$queryRaw`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        const vehicles = await tx.vehicle.findMany({ where: { userId }, select: { id: true } });
        const vehicleIds = vehicles.map((vehicle) => vehicle.id);
        // The key first: whatever a concurrent reader still holds of this user's rows cannot be opened after this.
        await tx.userDataKey.deleteMany({ where: { userId } });
        await tx.auditEvent.deleteMany({ where: auditTrailOf(userId, vehicleIds) });
        await tx.vehicle.deleteMany({ where: { userId } });
        await tx.grant.deleteMany({ where: { userId } });
        const { count } = await tx.user.deleteMany({ where: { id: userId } });
        await recordErasure(tx, record, options.reapplied ?? false);
        return count === 1;
      });
    },

    /** The users of this database whose pseudonyms are in the list (erased, then brought back by a restore). */
    async usersWithPseudonyms(pseudonyms: string[]): Promise<Array<{ id: string; pseudonym: string }>> {
      if (pseudonyms.length === 0) return [];
      return db.$queryRaw<Array<{ id: string; pseudonym: string }>>`
        SELECT id, pseudonym FROM (SELECT u.id::text AS id, ${USER_PSEUDONYM_SQL} AS pseudonym FROM users u) hashed
        WHERE pseudonym = ANY(${pseudonyms}::text[])`;
    },
  };
}

async function recordErasure(client: DatabaseClient, record: ErasureRecord, reapplied: boolean) {
  const disconnections = record.disconnections as unknown as Prisma.InputJsonValue;
  await client.erasure.upsert({
    where: { pseudonym: record.pseudonym },
    create: {
      pseudonym: record.pseudonym,
      erasedAt: record.erasedAt,
      requestedBy: record.requestedBy,
      disconnections,
      ...(reapplied ? { reappliedAt: new Date() } : {}),
    },
    update: reapplied ? { reappliedAt: new Date() } : {},
  });
}

export type ErasureRepository = ReturnType<typeof createErasureRepository>;
