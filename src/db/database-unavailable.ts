/**
 * Tells "the database cannot be reached right now" apart from every other database error, so a request answers
 * 503 with retry-after while Postgres is down (the pool reconnects by itself when it returns), and a real bug
 * still surfaces as a 500.
 *
 * Prisma reports an unreachable server as P1001 (and a few neighbours); a connection the server drops mid-query
 * comes through the driver adapter as pg's own error. pg errors carry SQLSTATE codes: class 08 is a connection
 * exception, 57P01-57P03 an administrator shutdown or a server still starting.
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** The driver adapter's error kinds (in `meta.driverAdapterError.cause`) for a database out of reach. */
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
const SQLSTATE_UNAVAILABLE = /^(08...|57P0[123])$/;
const NODE_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
const PG_UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') {
      if (PRISMA_UNAVAILABLE.has(code) || SQLSTATE_UNAVAILABLE.test(code) || NODE_UNAVAILABLE.has(code)) return true;
    }
    if (PG_UNAVAILABLE_MESSAGE.test(current.message)) return true;
    const { meta, kind } = current as { meta?: { driverAdapterError?: { cause?: { kind?: string } } }; kind?: string };
    const adapterKind = meta?.driverAdapterError?.cause?.kind ?? kind;
    if (adapterKind && ADAPTER_UNAVAILABLE.has(adapterKind)) return true;
    current = current.cause;
  }
  return false;
}
