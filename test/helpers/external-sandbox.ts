/**
 * A sandbox started by the test itself, and the environment that points Keyfob at it as Smartcar, as High
 * Mobility and as CarsXE: several Keyfob instances (or restarts, or operator commands) then share one provider, as they would
 * share the real ones.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { HighMobilitySandboxSettings } from '../../src/sandbox/highmobility/options.ts';
import type { SandboxSettings } from '../../src/sandbox/options.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/start-sandbox.ts';

export const EXTERNAL_CLIENT_ID = 'external-sandbox-client';
export const EXTERNAL_HM_CLIENT_ID = 'c0ffee00-1111-4222-8333-444455556666';
export const EXTERNAL_HM_APP_ID = '0123456789abcdef01234567';

export async function externalSandbox(
  t: TestContext,
  publicUrl: string,
  settings: Partial<SandboxSettings> = {},
  highmobility: {
    settings?: Partial<HighMobilitySandboxSettings>;
    keys?: Array<{ id: string; publicKeyPem: string }>;
  } = {},
  /** Where the Smartcar simulator posts its signed webhooks (a Keyfob's `/webhooks/smartcar`), if anywhere. */
  webhookUrl?: string,
): Promise<{ sandbox: RunningSandbox; env: NodeJS.ProcessEnv; clientSecret: string; hmClientSecret: string }> {
  const clientSecret = randomBytes(16).toString('hex');
  const hmClientSecret = randomUUID();
  const carsxeKey = randomBytes(16).toString('hex');
  const amt = randomUUID();
  const redirectUris = [`${publicUrl}/auth/callback`];
  const sandbox = await startSandbox({
    port: 0,
    clients: [{ clientId: EXTERNAL_CLIENT_ID, secrets: [clientSecret], redirectUris }],
    simulators: {
      highmobility: {
        clients: [
          {
            clientId: EXTERNAL_HM_CLIENT_ID,
            secrets: [hmClientSecret],
            appId: EXTERNAL_HM_APP_ID,
            redirectUris,
            keys: highmobility.keys ?? [],
          },
        ],
        settings: highmobility.settings ?? {},
      },
      carsxe: { apiKeys: [carsxeKey] },
    },
    settings: { rateLimitPerMinute: 0, webhookRetryPercent: 1, ...settings },
    ...(webhookUrl ? { smartcarWebhook: { url: webhookUrl, amt } } : {}),
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  return {
    sandbox,
    clientSecret,
    hmClientSecret,
    env: {
      PUBLIC_URL: publicUrl,
      PROVIDERS: 'smartcar,highmobility',
      SMARTCAR_CLIENT_ID: EXTERNAL_CLIENT_ID,
      SMARTCAR_CLIENT_SECRET: clientSecret,
      SMARTCAR_MODE: 'simulated',
      SMARTCAR_CONNECT_URL: sandbox.url,
      SMARTCAR_AUTH_URL: sandbox.url,
      SMARTCAR_API_URL: `${sandbox.url}/v2.0`,
      HIGHMOBILITY_CLIENT_ID: EXTERNAL_HM_CLIENT_ID,
      HIGHMOBILITY_CLIENT_SECRET: hmClientSecret,
      HIGHMOBILITY_APP_ID: EXTERNAL_HM_APP_ID,
      HIGHMOBILITY_AUTH_URL: `${sandbox.url}/highmobility/oauth/new`,
      HIGHMOBILITY_API_URL: `${sandbox.url}/highmobility`,
      SMARTCAR_WEBHOOK_AMT: amt,
      CARSXE_API_KEY: carsxeKey,
      CARSXE_API_URL: `${sandbox.url}/carsxe`,
    },
  };
}
