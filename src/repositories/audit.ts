/**
 * Audit events: who did what, through which client and endpoint, with what outcome. Never a token.
 * `record` writes at once (sign-in, logout, connect); `enqueue` batches the proxy's per-call events into one
 * multi-row insert every 100 ms or 500 events, off the request path. A crash can lose at most that last
 * interval's proxied-call events; `flush` runs when the app closes.
 */
import type { Database, SqlPool } from '../db/prisma-client.ts';

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

const FLUSH_MS = 100;
const MAX_BATCH = 500;

/**
 * One INSERT ... SELECT FROM unnest(...) for the whole batch: one statement to plan, where createMany would have
 * Prisma build a statement row by row. Sent on the pg pool under Prisma, not through Prisma: a batch is a few
 * hundred values per column, and passing them through Prisma's query engine grew its (WebAssembly) memory by
 * about 130 MB under load, memory it never gives back.
 */
async function insertBatch(sql: SqlPool, batch: AuditInput[]): Promise<void> {
  const column = <K extends keyof AuditInput>(key: K) => batch.map((event) => event[key] ?? null);
  await sql.query(
    `INSERT INTO audit_events (user_id, vehicle_id, client_id, action, endpoint, method, status, outcome, latency_ms, request_id)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::int[], $10::text[])`,
    [
      column('userId'),
      column('vehicleId'),
      column('clientId'),
      column('action'),
      column('endpoint'),
      column('method'),
      column('status'),
      column('outcome'),
      column('latencyMs'),
      column('requestId'),
    ],
  );
}

export function createAuditRepository(
  db: Database,
  sql: SqlPool,
  log: { error(object: object, message: string): void },
) {
  let queue: AuditInput[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return flushing;
    flushing = flushing
      .then(() => insertBatch(sql, batch))
      .then(() => undefined)
      .catch((error: Error) => log.error({ err: error.message, events: batch.length }, 'audit batch write failed'));
    return flushing;
  }

  return {
    async record(event: AuditInput) {
      await db.auditEvent.create({ data: event });
    },
    enqueue(event: AuditInput) {
      queue.push(event);
      if (queue.length >= MAX_BATCH) void flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    flush,
    /** Events of a user, a vehicle, or both, newest first (the admin CLI `npm run audit`). */
    list(filter: { userId?: string; vehicleId?: string; since?: Date; limit: number }) {
      return db.auditEvent.findMany({
        where: {
          ...(filter.userId ? { userId: filter.userId } : {}),
          ...(filter.vehicleId ? { vehicleId: filter.vehicleId } : {}),
          ...(filter.since ? { at: { gte: filter.since } } : {}),
        },
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: filter.limit,
      });
    },
  };
}
