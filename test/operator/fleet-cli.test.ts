/**
 * `npm run fleet`: an operator clears High Mobility fleet vehicles for a Keyfob user, with fleet tokens by client
 * secret and by ES256 client assertion. Added vehicles show their clearance status; an approved one is proxied
 * with the fleet token; a removed one stops being served. The command never prints a whole VIN.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { ALEX_ACCOUNT } from '../helpers/connected.ts';
import { externalSandbox } from '../helpers/external-sandbox.ts';
import { freePort } from '../helpers/free-port.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';
import { runCommand } from '../helpers/run-command.ts';

const TESLA_VIN = '5YJ3E1EA7NF123456';
const BMW_VIN = 'WBA5R1C05LFH98765';

/** The command's JSON rows; its output never holds a whole VIN. */
async function fleet(
  keyfob: KeyfobUnderTest,
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ status: number; stderr: string; rows: Array<{ vin: string; status: string; user: string | null }> }> {
  const { status, stdout, stderr } = await runCommand(keyfob, 'fleet', [...args, '--json'], {
    REDIS_URL: process.env.REDIS_URL,
    ...env,
  });
  assert.ok(!`${stdout}${stderr}`.includes(TESLA_VIN), 'no whole VIN in the output');
  const rows = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { vin: string; status: string; user: string | null });
  return { status, stderr, rows };
}

async function operatorSetup(t: TestContext, byAssertion: boolean) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(await mkdtemp(join(tmpdir(), 'keyfob-hm-key-')), 'fleet-key.pem');
  await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const { sandbox, env } = await externalSandbox(
    t,
    publicUrl,
    {},
    {
      keys: byAssertion
        ? [{ id: 'fleet-key-1', publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }]
        : [],
    },
  );
  const providerEnv = {
    ...env,
    ...(byAssertion ? { HIGHMOBILITY_PRIVATE_KEY: keyFile, HIGHMOBILITY_PRIVATE_KEY_ID: 'fleet-key-1' } : {}),
  };
  const keyfob = await startKeyfobUnderTest(t, { ...providerEnv, PORT: String(port), PUBLIC_URL: publicUrl });
  const browser = new Browser(keyfob.url);
  await browser.connect({ account: ALEX_ACCOUNT, vehicles: ['8a2f4c6e-1d3b-4e5f-8a7b-9c0d1e2f3a21'] });
  const session = (await browser.request('GET', '/auth/session')).json;
  return { keyfob, sandbox, browser, userId: session.user.id as string, env: providerEnv };
}

for (const byAssertion of [false, true]) {
  const method = byAssertion ? 'an ES256 client assertion' : 'the client secret';
  test(`fleet clearance with ${method}: add, list, remove; an approved vehicle is proxied with the fleet token`, async (t) => {
    if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
      t.skip('needs DATABASE_URL and REDIS_URL: the command runs beside a serving Keyfob, on its database');
      return;
    }
    const { keyfob, sandbox, browser, userId, env } = await operatorSetup(t, byAssertion);
    const added = await fleet(keyfob, env, ['add', '--user', userId, '--brand', 'tesla', TESLA_VIN]);
    assert.equal(added.status, 0, added.stderr);
    assert.deepEqual(added.rows, [{ vin: '*************3456', status: 'pending', user: userId }]);
    const wrongBrand = await fleet(keyfob, env, ['add', '--user', userId, '--brand', 'mini', BMW_VIN]);
    assert.equal(wrongBrand.rows[0]?.status, 'pending');

    const vehicles = async () =>
      ((await browser.request('GET', '/auth/session')).json.vehicles as Array<Record<string, string>>).filter(
        (vehicle) => vehicle.clearanceStatus,
      );
    const [tesla, bmw] = await vehicles();
    assert.equal(tesla?.status, 'pending_approval');
    assert.equal(tesla?.provider, 'highmobility');
    const notYet = await browser.request('GET', `/api/vehicles/${tesla?.id}/odometer`);
    assert.equal(notYet.status, 409);
    assert.equal(notYet.json.error, 'not_cleared');

    sandbox.state.clock.advance(6);
    const listed = await fleet(keyfob, env, ['list']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      listed.rows.map((row) => row.status),
      ['approved', 'rejected'],
    );
    const [approved, rejected] = await vehicles();
    assert.deepEqual([approved?.status, approved?.clearanceStatus], ['active', 'approved']);
    assert.deepEqual([rejected?.status, rejected?.clearanceStatus], ['not_cleared', 'rejected']);
    const read = await browser.request('GET', `/api/vehicles/${approved?.id}/odometer`);
    assert.equal(read.status, 200, read.text);
    assert.ok(read.json.distance > 0);
    const sent = String(sandbox.state.lastApiRequest?.headers.authorization ?? '');
    assert.equal(sent.replace('Bearer ', '').split('.').length, 3, 'the fleet token (an ES256 JWT) was sent');
    const calls = sandbox.state.calls.snapshot();
    assert.ok((calls[`highmobility.token.client_credentials.${byAssertion ? 'assertion' : 'secret'}`] ?? 0) >= 1);
    assert.equal(calls[`highmobility.token.client_credentials.${byAssertion ? 'secret' : 'assertion'}`], undefined);
    const refused = await browser.request('DELETE', `/api/vehicles/${approved?.id}`);
    assert.deepEqual([refused.status, refused.json.error], [409, 'operator_managed']);
    assert.equal(bmw?.id, rejected?.id);

    const removed = await fleet(keyfob, env, ['remove', TESLA_VIN]);
    assert.deepEqual(removed.rows[0]?.status, 'revoking');
    sandbox.state.clock.advance(6);
    assert.deepEqual(
      (await fleet(keyfob, env, ['list'])).rows.map((row) => row.status),
      ['revoked', 'rejected'],
    );
    assert.equal((await browser.request('GET', `/api/vehicles/${approved?.id}/odometer`)).status, 409);
  });
}

test('npm run fleet refuses bad arguments with what was wrong, before touching anything', async () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/fleet.ts', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test' },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const noUser = run(['add', '--brand', 'tesla', TESLA_VIN]);
  assert.equal(noUser.status, 1);
  assert.match(noUser.stderr, /--user/);
  const badVin = run(['remove', 'NOT-A-VIN']);
  assert.match(badVin.stderr, /not a VIN/);
  assert.match(run(['launch']).stderr, /usage: npm run fleet/);
});
