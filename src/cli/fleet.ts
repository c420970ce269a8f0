/**
 * `npm run fleet -- add --user ID --brand BRAND VIN...`, `npm run fleet -- list [--json]`, `npm run fleet -- remove VIN`:
 * an operator's High Mobility fleet clearance. Added vehicles join the Keyfob user under their fleet connection
 * and show their clearance status; an approved one is proxied with the fleet token. `list` also brings Keyfob's
 * statuses up to date (run it on a schedule to see approvals arrive). VINs are printed masked, never whole.
 */
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../config/config-error.ts';
import { maskVin } from '../logging/mask.ts';
import type { ClearanceItem, FleetClearance } from '../providers/provider-adapter.ts';
import { startKeyfob } from '../runtime/start-keyfob.ts';
import { refuseEmbeddedWhileServing } from './embedded-guard.ts';

const PROVIDER = 'highmobility';
const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
const USAGE = `usage: npm run fleet -- add --user ID --brand BRAND VIN...
       npm run fleet -- list [--json]
       npm run fleet -- remove VIN`;

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
  if (command !== 'add' && command !== 'list' && command !== 'remove') throw new UsageError('name a command');
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
  for (const row of rows) console.log(Object.values(row).map((value) => value ?? '-').join('\t'));
}

async function run(app: FastifyInstance, clearance: FleetClearance, args: ReturnType<typeof parse>) {
  const vehicles = app.repos.vehicles;
  const statusRow = (item: ClearanceItem, userId: string | null) => ({
    vin: maskVin(item.vin),
    status: item.status,
    user: userId,
    ...(item.description ? { description: item.description } : {}),
  });
  if (args.command === 'add') {
    const userId = args.user as string;
    if (!(await app.repos.users.exists(userId))) throw new UsageError(`no Keyfob user ${userId}`);
    const answered = await clearance.add(args.vins.map((vin) => ({ vin, brand: args.brand as string })));
    const scopes = app.providerFor(PROVIDER).fleet?.scopes ?? [];
    const grantId = await app.repos.grants.fleetConnection(userId, PROVIDER, scopes);
    for (const item of answered) {
      if (item.status === 'error') continue;
      await vehicles.upsertFleetVehicle({
        userId,
        grantId,
        provider: PROVIDER,
        vin: item.vin,
        make: args.brand as string,
        clearanceStatus: item.status,
      });
    }
    await app.bus.publish({ kind: 'user', id: userId });
    return answered.map((item) => statusRow(item, userId));
  }
  const known = await vehicles.listFleet(PROVIDER);
  const sync = async (item: ClearanceItem) => {
    const mine = known.find((vehicle) => vehicle.vin === item.vin);
    if (mine && mine.clearanceStatus !== item.status) {
      await vehicles.setClearanceStatus(mine.id, item.status);
      await app.bus.publish({ kind: 'user', id: mine.userId });
    }
    return statusRow(item, mine?.userId ?? null);
  };
  if (args.command === 'remove') return [await sync(await clearance.remove(args.vins[0] as string))];
  const rows = [];
  for (const item of await clearance.list()) rows.push(await sync(item));
  return rows;
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
  const keyfob = await startKeyfob({ env: process.env, listen: false, useRunningSandbox: true });
  try {
    const { app } = keyfob;
    const adapter = app.providers.get(PROVIDER);
    if (!adapter?.fleet || !adapter.appTokens) throw new UsageError('High Mobility is not enabled (PROVIDERS)');
    const request = adapter.appTokens.request;
    const clearance = adapter.fleet.clearance({
      token: () => app.appTokens.get(request),
      renew: async (refused) => {
        await app.appTokens.invalidate(request, refused);
        return app.appTokens.get(request);
      },
    });
    print(await run(app, clearance, args), args.json);
  } finally {
    await keyfob.close();
  }
  process.exit(0);
} catch (error) {
  const message = error instanceof ConfigError || error instanceof UsageError ? error.message : `fleet failed: ${(error as Error).message}`;
  console.error(message);
  process.exit(1);
}
