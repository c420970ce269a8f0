/**
 * `npm run audit -- --user ID [--vehicle ID] [--since 2026-11-01] [--limit 100] [--json]`: a user's or a
 * vehicle's audit events, newest first, as a table or as JSON lines. Read-only; it opens only the database (no
 * HTTP server, sandbox or Redis). The events never hold a token, so neither does the output.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { createDatabase } from '../db/prisma-client.ts';
import { createAuditRepository } from '../repositories/audit.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const USAGE = 'usage: npm run audit -- --user ID [--vehicle ID] [--since DATE] [--limit N] [--json]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(1);
}

function parseFilter() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        user: { type: 'string' },
        vehicle: { type: 'string' },
        since: { type: 'string' },
        limit: { type: 'string', default: '100' },
        json: { type: 'boolean', default: false },
        'server-stopped': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const user = values.user as string | undefined;
  const vehicle = values.vehicle as string | undefined;
  if (!user && !vehicle) fail('name a user (--user) or a vehicle (--vehicle)');
  if (user && !UUID.test(user)) fail(`--user must be a user id (a UUID), not ${JSON.stringify(user)}`);
  if (vehicle && !UUID.test(vehicle)) fail(`--vehicle must be a vehicle id (a UUID), not ${JSON.stringify(vehicle)}`);
  const since = values.since ? new Date(values.since as string) : undefined;
  if (since && Number.isNaN(since.getTime())) fail(`--since must be a date, like 2026-11-01`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) fail('--limit must be a whole number from 1 to 10000');
  return { filter: { userId: user, vehicleId: vehicle, since, limit }, json: values.json === true };
}

const { filter, json } = parseFilter();
try {
  const { config } = await loadConfig(process.env);
  refuseEmbeddedWhileServing(config.databaseUrl, 'audit');
  const database = await prepareDatabase({
    databaseUrl: config.databaseUrl,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
  });
  const { db, pool } = createDatabase(database);
  try {
    const events = await createAuditRepository(db, pool, console).list(filter);
    for (const event of events) {
      const row = { ...event, id: event.id.toString(), at: event.at.toISOString() };
      if (json) {
        console.log(JSON.stringify(row));
      } else {
        console.log(
          [
            row.at,
            row.action,
            row.method,
            row.endpoint,
            row.status,
            row.outcome,
            row.latencyMs ?? '-',
            row.vehicleId ?? '-',
            row.requestId ?? '-',
          ].join('  '),
        );
      }
    }
    if (!json) console.error(`${events.length} event(s)`);
  } finally {
    await db.$disconnect();
    await database.stop();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `audit failed: ${(error as Error).message}`);
  process.exit(1);
}
