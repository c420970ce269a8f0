/**
 * Audit events: who did what, through which client and endpoint, with what outcome. Never a token.
 * `record` writes at once (sign-in, logout, connect); `enqueue` batches the proxy's per-call events into one
 * multi-row insert every 100 ms or 500 events, off the request path. A crash can lose at most that last
 * interval's proxied-call events; `flush` runs when the app closes.
 *
 * A write that fails (the database away for a moment, a pool out of connections) loses nothing: its events go
 * back to the front of the queue and are written again with backoff, as is a `record` that failed. The buffer is
 * bounded (MAX_BUFFERED events): past it the oldest events are dropped and counted, so an outage of minutes
 * cannot exhaust memory. An outage of seconds loses nothing, and duplicates nothing: a write whose commit reached
 * the database but whose answer was lost is written again, and the (request id, action) key keeps one copy.
 */
import type { Database, SqlPool } from '../db/prisma-client.ts';
import type { Prisma } from '../generated/prisma/client.ts';

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
/** Events kept for a retry while writes fail: about 10 MB at most. */
export const MAX_BUFFERED = 20_000;

/**
 * A person's audit trail: their events, and those of their vehicles (a machine client's call names the vehicle).
 * One definition for what the account export shows and what an erasure deletes.
 */
export function auditTrailOf(userId: string, vehicleIds: string[]): Prisma.AuditEventWhereInput {
  return { OR: [{ userId }, { vehicleId: { in: vehicleIds } }] };
}
const RETRY_FIRST_MS = 250;
const RETRY_LONGEST_MS = 5_000;

/**
 * One INSERT ... SELECT FROM unnest(...) for the whole batch: one statement to plan, where createMany would have
 * Prisma build a statement row by row. Sent on the pg pool under Prisma, not through Prisma: a batch is a few
 * hundred values per column, and passing them through Prisma's query engine grew its (WebAssembly) memory by
 * about 130 MB under load, memory it never gives back.
 *
 * An event of a user who no longer exists is not written: an erasure (erasure/erase-user.ts) deletes the audit
 * trail with the user, and a batch queued just before it on any instance must not bring part of it back. The key
 * share lock makes the two wait for each other: the erasure, which locks the user first, sees an event written
 * before it; an event written after it finds no user.
 */
async function insertBatch(sql: SqlPool, batch: AuditInput[]): Promise<void> {
  const column = <K extends keyof AuditInput>(key: K) => batch.map((event) => event[key] ?? null);
  await sql.query(
    `INSERT INTO audit_events (user_id, vehicle_id, client_id, action, endpoint, method, status, outcome, latency_ms, request_id)
     SELECT e.* FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::int[], $10::text[])
       AS e(user_id, vehicle_id, client_id, action, endpoint, method, status, outcome, latency_ms, request_id)
     WHERE e.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id FOR KEY SHARE)
     ON CONFLICT (request_id, action) DO NOTHING`,
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
  log: { warn(object: object, message: string): void; error(object: object, message: string): void },
  counted: (result: 'written' | 'retried' | 'dropped', events: number) => void = () => undefined,
) {
  let queue: AuditInput[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  /** One write at a time: the batch in flight is always the oldest, so a failed one goes back to the front. */
  let writing = false;
  let retryMs = 0;
  let closed = false;

  function schedule(ms: number) {
    if (closed) return;
    // Unref'd: a pending write never keeps a process alive; the app's close writes what is queued.
    timer ??= setTimeout(flush, ms);
    timer.unref();
  }

  /**
   * Keeps events that could not be written for the next try, in the order they happened: a failed batch is older
   * than everything queued (in front), a failed immediate write newer (behind). Past the bound, the oldest go.
   */
  function keepForRetry(events: AuditInput[], error: Error, at: 'front' | 'back') {
    queue = at === 'front' ? events.concat(queue) : queue.concat(events);
    const over = queue.length - MAX_BUFFERED;
    if (over > 0) {
      queue = queue.slice(over);
      counted('dropped', over);
      log.error({ events: over }, 'audit events dropped: the retry buffer is full');
    }
    counted('retried', events.length);
    retryMs = Math.min(retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2, RETRY_LONGEST_MS);
    log.warn({ err: error.message, events: events.length, retryInMs: retryMs }, 'audit write failed; will retry');
    schedule(retryMs);
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (writing || queue.length === 0) return flushing;
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    writing = true;
    flushing = insertBatch(sql, batch)
      .then(
        () => {
          retryMs = 0;
          counted('written', batch.length);
        },
        (error: Error) => keepForRetry(batch, error, 'front'),
      )
      .finally(() => {
        writing = false;
        // What was queued meanwhile goes next (a full batch at once); after a failure, the retry timer decides.
        if (queue.length > 0 && retryMs === 0) schedule(queue.length >= MAX_BATCH ? 0 : FLUSH_MS);
      });
    return flushing;
  }

  return {
    /** Writes one event now; if that fails, it is kept and written with the next batch. */
    async record(event: AuditInput) {
      try {
        // As insertBatch, one row, through Prisma (whose adapter owns the pool's error handling).
        const e = { ...event, latencyMs: event.latencyMs ?? null, requestId: event.requestId ?? null };
        await db.$executeRaw`
          INSERT INTO audit_events (user_id, vehicle_id, client_id, action, endpoint, method, status, outcome, latency_ms, request_id)
          SELECT ${e.userId}::uuid, ${e.vehicleId}::uuid, ${e.clientId}, ${e.action}, ${e.endpoint}, ${e.method},
                 ${e.status}::int, ${e.outcome}, ${e.latencyMs}::int, ${e.requestId}
          WHERE ${e.userId}::uuid IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = ${e.userId}::uuid FOR KEY SHARE)
          ON CONFLICT (request_id, action) DO NOTHING`;
        counted('written', 1);
      } catch (error) {
        keepForRetry([event], error as Error, 'back');
      }
    },
    enqueue(event: AuditInput) {
      queue.push(event);
      if (queue.length >= MAX_BATCH && retryMs === 0) void flush();
      else schedule(FLUSH_MS);
    },
    /** Writes what is queued; events that still fail stay queued for the next try. */
    async flush() {
      for (;;) {
        await flushing; // the write in flight first
        if (queue.length === 0) return;
        const before = queue.length;
        await flush();
        if (queue.length >= before) return;
      }
    },
    /** The app's close: writes what is queued, once more if that fails, then schedules nothing more. */
    async close() {
      await this.flush();
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    /** Events waiting to be written (a failed write's included). */
    pending: () => queue.length,
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
