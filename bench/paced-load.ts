/**
 * Latency at a fixed request rate (an open loop): requests leave on a schedule, whatever the answers before them
 * did, spread evenly over time and over `connections` keep-alive connections, and each is timed alone.
 * Why not autocannon's `overallRate`: it lets each connection send its whole second's quota at once, then pause,
 * so its "fixed rate" is a burst of full load every second and its latency is that burst's queueing.
 * The first `warmupSeconds` run on the same connections at the same rate and are not counted: opening 50
 * connections (and the heap the full-load run left behind) is not latency a proxied call adds.
 */
import { Pool } from 'undici';

const TICK_MS = 5;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export async function pacedLatency(options: {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** A query of its own on every request (`?n=1`, `?n=2` ...), so none is identical to another in flight. */
  distinct?: boolean;
}): Promise<{ p50: number; p99: number; sent: number; failed: number }> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  let counter = 0;
  const send = (counted: boolean) => {
    const started = performance.now();
    counter += 1;
    const path = options.distinct ? `${url.pathname}?n=${counter}` : url.pathname + url.search;
    inFlight.push(
      pool.request({ method: 'GET', path, headers: options.headers }).then(
        async (answer) => {
          await answer.body.arrayBuffer();
          if (answer.statusCode >= 300) failed += 1;
          else if (counted) latencies.push(performance.now() - started);
        },
        () => {
          failed += 1;
        },
      ),
    );
  };
  const warmup = Math.round(options.rate * options.warmupSeconds);
  const total = warmup + Math.round(options.rate * options.seconds);
  const startedAt = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // As many as the schedule says are due by now: a late timer catches up instead of lowering the rate.
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * options.rate));
      while (sent < due) {
        send(sent >= warmup);
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(inFlight);
  await pool.close();
  const sorted = latencies.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), sent: sent - warmup, failed };
}
