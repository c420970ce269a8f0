/**
 * Which users' vehicles, and which single vehicles, each machine client may reach (machine_access). Written only
 * by the operator's command (`npm run machine-clients`); read by the proxy through the vehicles repository's
 * reach condition, in the same query that finds the vehicle, so a revoked assignment is in force at once.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';

export type AccessTarget = { userId: string } | { vehicleId: string };

export interface AccessRow {
  clientId: string;
  userId: string | null;
  vehicleId: string | null;
  createdAt: Date;
}

export function createMachineAccessRepository(db: Database) {
  return {
    /** Assigns the target to the client; says whether it was new (assigning twice changes nothing). */
    async grant(clientId: string, target: AccessTarget): Promise<boolean> {
      const { count } = await db.machineAccess.createMany({
        data: [{ id: randomUUID(), clientId, ...target }],
        skipDuplicates: true,
      });
      return count === 1;
    },

    /** Removes the assignment; says whether there was one. */
    async revoke(clientId: string, target: AccessTarget): Promise<boolean> {
      const { count } = await db.machineAccess.deleteMany({ where: { clientId, ...target } });
      return count > 0;
    },

    async list(clientId?: string): Promise<AccessRow[]> {
      return db.machineAccess.findMany({
        where: clientId ? { clientId } : {},
        select: { clientId: true, userId: true, vehicleId: true, createdAt: true },
        orderBy: [{ clientId: 'asc' }, { createdAt: 'asc' }],
      });
    },
  };
}

export type MachineAccessRepository = ReturnType<typeof createMachineAccessRepository>;
