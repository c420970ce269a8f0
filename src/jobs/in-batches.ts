/**
 * The loop of the batch jobs (key rotation, the move to data keys): runs `batch` until it finds nothing. Batches
 * skip rows locked by writes in progress, so a pass that finds nothing while `left` says rows remain waits a moment
 * for those writes and tries again, up to `maxIdlePasses` times. Returns how many rows the batches did.
 */
export async function inBatches(options: {
  batch: () => Promise<number>;
  left: () => Promise<number>;
  onBatch?: (count: number) => void | Promise<void>;
  maxIdlePasses: number;
  /** Stops between batches (shutdown); what is done stays done, and the next run picks up the rest. */
  signal?: AbortSignal;
}): Promise<number> {
  let total = 0;
  let idlePasses = 0;
  for (;;) {
    if (options.signal?.aborted) return total;
    const done = await options.batch();
    total += done;
    await options.onBatch?.(done);
    if (done > 0) {
      idlePasses = 0;
      continue;
    }
    if ((await options.left()) === 0 || ++idlePasses > options.maxIdlePasses) return total;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
