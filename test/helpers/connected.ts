/** A Keyfob under test with one browser already connected through the sandbox, and handy accessors. */
import type { TestContext } from 'node:test';
import { Browser } from './browser.ts';
import { type KeyfobUnderTest, startKeyfobUnderTest } from './keyfob-under-test.ts';
import type { ConsentChoices } from './sandbox-flow.ts';

export const ALEX_ACCOUNT = '5f4b9a2e-61c3-4b7e-9d0a-1c2e3f4a5b61';
export const SAM_ACCOUNT = 'b7e3a1c9-2f4d-4a6b-8c0e-5d7f9a1b3c82';

export async function connectedBrowser(keyfob: KeyfobUnderTest, choices: ConsentChoices = {}) {
  const browser = new Browser(keyfob.url);
  const callback = await browser.connect({ account: ALEX_ACCOUNT, ...choices });
  if (callback.status !== 302 || callback.headers.get('location')?.includes('connect_error')) {
    throw new Error(`connect failed: ${callback.status} ${callback.headers.get('location')}`);
  }
  const session = await browser.request('GET', '/auth/session');
  const byMake = (make: string) => session.json.vehicles.find((vehicle: { make: string }) => vehicle.make === make);
  return { browser, session: session.json, byMake };
}

export async function connectedKeyfob(t: TestContext, env: NodeJS.ProcessEnv = {}, choices: ConsentChoices = {}) {
  const keyfob = await startKeyfobUnderTest(t, env);
  return { keyfob, ...(await connectedBrowser(keyfob, choices)) };
}

/** The sandbox's call counters. */
export async function sandboxCalls(keyfob: KeyfobUnderTest): Promise<Record<string, number>> {
  return (await fetch(`${keyfob.sandbox?.url}/sandbox/calls`)).json() as Promise<Record<string, number>>;
}

export async function sandboxControl(keyfob: KeyfobUnderTest, path: string, body: unknown, method = 'POST') {
  const response = await fetch(`${keyfob.sandbox?.url}/sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox control ${path}: ${response.status}`);
}

/** The grant rows as stored (ciphertexts), for before/after comparisons. */
export function storedGrants(keyfob: KeyfobUnderTest) {
  return keyfob.app.db.grant.findMany({
    select: {
      id: true,
      accessTokenEnc: true,
      refreshTokenEnc: true,
      status: true,
      version: true,
      accessExpiresAt: true,
    },
    orderBy: { createdAt: 'asc' },
  });
}

/**
 * Makes every stored access token look expired to Keyfob (the provider still thinks it valid). A direct database
 * edit, so it announces itself on the invalidation bus as Keyfob's own writes do.
 */
export async function expireStoredAccessTokens(keyfob: KeyfobUnderTest) {
  await keyfob.app.db.grant.updateMany({ data: { accessExpiresAt: new Date(Date.now() - 1000) } });
  for (const grant of await keyfob.app.db.grant.findMany({ select: { id: true } })) {
    await keyfob.app.bus.publish({ kind: 'grant', id: grant.id });
  }
}
