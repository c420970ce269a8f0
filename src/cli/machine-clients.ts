/**
 * `npm run machine-clients -- grant CLIENT_ID --user ID | --vehicle ID`, `revoke CLIENT_ID --user ID | --vehicle ID`,
 * `list [CLIENT_ID] [--json]`: which vehicles a machine client (the `client_id` of its access tokens) may reach.
 * A client reaches nothing until an operator grants it a user (all of that user's vehicles, present and future)
 * or single vehicles. The change is in force on the next request of every instance: the proxy reads assignments
 * in the query that finds the vehicle. It opens only the database.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { createDatabase } from '../db/prisma-client.ts';
import { CLIENT_ID_PATTERN } from '../machine-clients/access-token-verifier.ts';
import { type AccessTarget, createMachineAccessRepository } from '../repositories/machine-access.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const USAGE = `usage: npm run machine-clients -- grant CLIENT_ID (--user ID | --vehicle ID)
       npm run machine-clients -- revoke CLIENT_ID (--user ID | --vehicle ID)
       npm run machine-clients -- list [CLIENT_ID] [--json]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(1);
}

function parse() {
  let parsed: ReturnType<
    typeof parseArgs<{ allowPositionals: true; options: Record<string, { type: 'string' | 'boolean' }> }>
  >;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        vehicle: { type: 'string' },
        json: { type: 'boolean' },
        'server-stopped': { type: 'boolean' },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, clientId, ...extra] = positionals;
  if (command !== 'grant' && command !== 'revoke' && command !== 'list') fail('name a command: grant, revoke or list');
  if (extra.length > 0) fail(`unexpected ${extra.join(' ')}`);
  if (clientId !== undefined && !CLIENT_ID_PATTERN.test(clientId)) fail('a client id is 1 to 200 printable characters');
  if (command === 'list') return { command, clientId, json: values.json === true } as const;
  if (!clientId) fail(`${command} needs the client id`);
  const user = values.user as string | undefined;
  const vehicle = values.vehicle as string | undefined;
  if ((user === undefined) === (vehicle === undefined)) fail(`${command} needs one of --user and --vehicle`);
  const id = (user ?? vehicle) as string;
  if (!UUID.test(id)) fail(`--${user ? 'user' : 'vehicle'} must be a Keyfob id (a UUID)`);
  const target: AccessTarget = user ? { userId: id.toLowerCase() } : { vehicleId: id.toLowerCase() };
  return { command, clientId, target, json: values.json === true } as const;
}

const args = parse();
try {
  const { config } = await loadConfig(process.env);
  refuseEmbeddedWhileServing(config.databaseUrl, 'machine-clients');
  const database = await prepareDatabase({
    databaseUrl: config.databaseUrl,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
  });
  const { db } = createDatabase(database);
  try {
    const access = createMachineAccessRepository(db);
    if (args.command === 'list') {
      for (const row of await access.list(args.clientId)) {
        const line = {
          clientId: row.clientId,
          userId: row.userId,
          vehicleId: row.vehicleId,
          since: row.createdAt.toISOString(),
        };
        console.log(
          args.json
            ? JSON.stringify(line)
            : Object.values(line)
                .map((value) => value ?? '-')
                .join('\t'),
        );
      }
    } else if (args.command === 'grant') {
      const target = args.target;
      const exists =
        'userId' in target
          ? await db.user.findUnique({ where: { id: target.userId }, select: { id: true } })
          : await db.vehicle.findUnique({ where: { id: target.vehicleId }, select: { id: true } });
      if (!exists) fail(`no such ${'userId' in target ? 'user' : 'vehicle'}`);
      const added = await access.grant(args.clientId, target);
      console.error(added ? 'granted' : 'already granted');
    } else {
      const removed = await access.revoke(args.clientId, args.target);
      console.error(removed ? 'revoked' : 'there was no such assignment');
    }
  } finally {
    await db.$disconnect();
    await database.stop();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `machine-clients failed: ${(error as Error).message}`);
  process.exit(1);
}
