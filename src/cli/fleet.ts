/**
 * `npm run fleet -- add --user ID --brand BRAND VIN...`, `npm run fleet -- list [--json]`, `npm run fleet -- remove VIN`:
 * an operator's High Mobility fleet clearance; `npm run fleet -- status [--user ID] [--json]`: every connected
 * vehicle's status (active, reauth_required, asleep ...) and what its provider reported, for any provider. Added vehicles join the Keyfob user under their fleet connection
 * and show their clearance status; an approved one is proxied with the fleet token. `list` also brings Keyfob's
 * statuses up to date (run it on a schedule to see approvals arrive). VINs are printed masked, never whole.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.ts';
import { FleetCommandError, fleetClearanceOf, fleetCommands } from '../fleet/clearance-commands.ts';
import { vehicleStatuses } from '../fleet/vehicle-statuses.ts';
import { maskVin } from '../logging/mask.ts';
import { type RunningKeyfob, startKeyfob } from '../runtime/start-keyfob.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const USAGE = `usage: npm run fleet -- add --user ID --brand BRAND VIN...
       npm run fleet -- list [--json]
       npm run fleet -- remove VIN
       npm run fleet -- status [--user ID] [--json]`;

class UsageError extends Error {}

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      brand: { type: 'string' },
      json: { type: 'boolean', default: false },
      'server-stopped': { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (command !== 'add' && command !== 'list' && command !== 'remove' && command !== 'status') {
    throw new UsageError('name a command');
  }
  if (command === 'status' && values.user && !UUID.test(values.user)) {
    throw new UsageError('--user takes a Keyfob user id');
  }
  const vins = rest.map((vin) => vin.toUpperCase());
  const bad = vins.filter((vin) => !VIN.test(vin));
  if (bad.length > 0) throw new UsageError(`not a VIN (17 characters, no I, O or Q): ${bad.map(maskVin).join(', ')}`);
  if (command === 'add') {
    if (!values.user || !UUID.test(values.user)) throw new UsageError('add needs --user with a Keyfob user id');
    if (!values.brand || !/^[a-z0-9-]{2,40}$/.test(values.brand)) {
      throw new UsageError("add needs --brand in High Mobility's spelling (bmw, mercedes-benz ...)");
    }
    if (vins.length === 0) throw new UsageError('add needs one or more VINs');
  }
  if (command === 'remove' && vins.length !== 1) throw new UsageError('remove takes one VIN');
  return { command, vins, user: values.user, brand: values.brand, json: values.json === true };
}

function print(rows: Array<Record<string, string | null>>, json: boolean) {
  if (json) {
    for (const row of rows) console.log(JSON.stringify(row));
    return;
  }
  for (const row of rows)
    console.log(
      Object.values(row)
        .map((value) => value ?? '-')
        .join('\t'),
    );
}

/** The clearance commands (add, list, remove): High Mobility's fleet API. */
async function clearanceRows(app: RunningKeyfob['app']) {
  const adapter = app.providers.get('highmobility');
  if (!adapter?.fleet || !adapter.appTokens) throw new UsageError('High Mobility is not enabled (PROVIDERS)');
  const commands = fleetCommands(app, fleetClearanceOf(app, adapter));
  if (args.command === 'add') return commands.add(args.user as string, args.brand as string, args.vins);
  if (args.command === 'remove') return commands.remove(args.vins[0] as string);
  return commands.list();
}

let args: ReturnType<typeof parse>;
try {
  args = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
try {
  refuseEmbeddedWhileServing(process.env.DATABASE_URL || undefined, 'fleet');
  // Logs go to stderr: stdout carries the command's rows only (tables or JSON lines to pipe).
  const keyfob = await startKeyfob({
    env: process.env,
    listen: false,
    useRunningSandbox: true,
    logStream: process.stderr,
  });
  try {
    const { app } = keyfob;
    print(args.command === 'status' ? await vehicleStatuses(app, args.user) : await clearanceRows(app), args.json);
  } finally {
    await keyfob.close();
  }
  process.exit(0);
} catch (error) {
  const message =
    error instanceof ConfigError || error instanceof UsageError || error instanceof FleetCommandError
      ? error.message
      : `fleet failed: ${(error as Error).message}`;
  console.error(message);
  process.exit(1);
}
