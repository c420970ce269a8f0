import type { Database } from '../db/prisma-client.ts';

/**
 * The loop of the batch jobs (key rotation, the move to data keys). Each batch takes the rows after a cursor, in
 * key order, so a pass walks a table once instead of from its start on every batch; it returns the keys it did, and
 * the next batch starts after the last of them. Batches skip rows locked by writes in progress, so a pass that
 * finds nothing while `left` says rows remain starts over after a moment, for those rows, up to `maxIdlePasses`
 * times. Returns how many rows the batches did.
 */
export async function inBatches(options: {
  /** The keys of the rows this batch did, in key order, after `after`. */
  batch: (after: string) => Promise<string[]>;
  /** Where a pass starts: below every key. */
  start: string;
  left: () => Promise<number>;
  onBatch?: (count: number) => void | Promise<void>;
  maxIdlePasses: number;
  /** Stops between batches (shutdown); what is done stays done, and the next run picks up the rest. */
  signal?: AbortSignal;
}): Promise<number> {
  let total = 0;
  let idlePasses = 0;
  let after = options.start;
  for (;;) {
    if (options.signal?.aborted) return total;
    const keys = await options.batch(after);
    after = keys.at(-1) ?? options.start;
    total += keys.length;
    await options.onBatch?.(keys.length);
    if (keys.length > 0) {
      idlePasses = 0;
      continue;
    }
    if ((await options.left()) === 0 || ++idlePasses > options.maxIdlePasses) return total;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One batch of re-sealing: locks up to `batchSize` rows after `after` (`select`: `$1` the limit, `$2` the cursor,
 * then `selectParams`; it returns `id`, `value` and what `reseal` needs), seals each value anew, and writes them all
 * back in one statement (`update`: `$1` the ids, `$2` the values, as text arrays, then `updateParams`).
 */
export function resealBatch<Row extends { id: string; value: string }>(options: {
  db: Database;
  batchSize: number;
  select: string;
  selectParams?: unknown[];
  update: string;
  updateParams?: unknown[];
  reseal: (row: Row) => string;
}): (after: string) => Promise<string[]> {
  return (after) =>
    options.db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Row[]>(
        options.select,
        options.batchSize,
        after,
        ...(options.selectParams ?? []),
      );
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      await tx.$executeRawUnsafe(options.update, ids, rows.map(options.reseal), ...(options.updateParams ?? []));
      return ids;
    });
}
