/** A sandbox on a free loopback port with one registered client, closed after the test. */
import type { TestContext } from 'node:test';
import type { SandboxSettings } from '../../src/sandbox/options.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';

export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'test-secret-0123456789';
export const REDIRECT_URI = 'http://app.test/auth/callback';
export const ALEX = '5f4b9a2e-61c3-4b7e-9d0a-1c2e3f4a5b61';
export const TESLA = '3c1d6e0a-8b7f-4f62-9a15-7e2d4c9b0a11';
export const RAV4 = '8a2f4c6e-1d3b-4e5f-8a7b-9c0d1e2f3a21';

export async function sandboxFixture(
  t: TestContext,
  settings: Partial<SandboxSettings> = {},
  secrets: string[] = [CLIENT_SECRET],
): Promise<RunningSandbox> {
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId: CLIENT_ID, secrets, redirectUris: [REDIRECT_URI] }],
    settings,
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  return sandbox;
}

export const basicAuth = (id = CLIENT_ID, secret = CLIENT_SECRET) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export function authorizeUrl(sandboxUrl: string, params: Record<string, string | undefined>): string {
  const url = new URL('/oauth/authorize', sandboxUrl);
  const defaults: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'read_vehicle_info read_odometer',
    state: 'state-123',
    mode: 'simulated',
  };
  for (const [name, value] of Object.entries({ ...defaults, ...params })) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

export async function tokenRequest(sandboxUrl: string, form: Record<string, string>, authorization = basicAuth()) {
  const response = await fetch(`${sandboxUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string | number> };
}

/** Runs consent with S256 PKCE and returns the code and verifier. */
export async function obtainCode(
  sandboxUrl: string,
  params: Record<string, string> = {},
  choices: import('../helpers/sandbox-flow.ts').ConsentChoices = {},
) {
  const { consent, pkcePair } = await import('../helpers/sandbox-flow.ts');
  const { verifier, challenge } = pkcePair();
  const location = await consent(
    authorizeUrl(sandboxUrl, { code_challenge: challenge, code_challenge_method: 'S256', ...params }),
    { account: ALEX, ...choices },
  );
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  return { code, verifier };
}

/** A fresh token pair for Alex's vehicles with the given scope. */
export async function obtainTokens(sandboxUrl: string, scope = 'read_vehicle_info read_odometer') {
  const { code, verifier } = await obtainCode(sandboxUrl, { scope });
  const { status, body } = await tokenRequest(sandboxUrl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  if (status !== 200) throw new Error(`exchange failed: ${JSON.stringify(body)}`);
  return body as { access_token: string; refresh_token: string; expires_in: number; token_type: string };
}
