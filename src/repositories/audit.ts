/** Audit events: who did what, through which client and endpoint, with what outcome. Never a token. */
import type { Database } from '../db/prisma-client.ts';

export interface AuditInput {
  userId: string | null;
  vehicleId: string | null;
  clientId: string;
  action: string;
  endpoint: string;
  method: string;
  status: number;
  outcome: string;
  latencyMs?: number;
  requestId?: string;
}

export function createAuditRepository(db: Database) {
  return {
    async record(event: AuditInput) {
      await db.auditEvent.create({ data: event });
    },
  };
}
