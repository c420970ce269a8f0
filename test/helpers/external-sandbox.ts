/**
 * A sandbox started by the test itself, and the environment that points Keyfob at it as a Smartcar provider:
 * several Keyfob instances (or restarts) then share one provider, as they would share Smartcar.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { SandboxSettings } from '../../src/sandbox/options.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';

export const EXTERNAL_CLIENT_ID = 'external-sandbox-client';

export async function externalSandbox(
  t: TestContext,
  publicUrl: string,
  settings: Partial<SandboxSettings> = {},
): Promise<{ sandbox: RunningSandbox; env: NodeJS.ProcessEnv; clientSecret: string }> {
  const clientSecret = randomBytes(16).toString('hex');
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId: EXTERNAL_CLIENT_ID, secrets: [clientSecret], redirectUris: [`${publicUrl}/auth/callback`] }],
    settings: { rateLimitPerMinute: 0, ...settings },
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  return {
    sandbox,
    clientSecret,
    env: {
      PUBLIC_URL: publicUrl,
      PROVIDERS: 'smartcar',
      SMARTCAR_CLIENT_ID: EXTERNAL_CLIENT_ID,
      SMARTCAR_CLIENT_SECRET: clientSecret,
      SMARTCAR_MODE: 'simulated',
      SMARTCAR_CONNECT_URL: sandbox.url,
      SMARTCAR_AUTH_URL: sandbox.url,
      SMARTCAR_API_URL: `${sandbox.url}/v2.0`,
    },
  };
}
