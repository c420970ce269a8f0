/** Smartcar's settings: `SMARTCAR_*`. Every host is overridable (tests and the sandbox point them at simulators). */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { optionalText, type ProviderSettingsSpec } from '../provider-module.ts';

export interface SmartcarSettings {
  clientId: string;
  clientSecret: string;
  scopes: string;
  mode: 'live' | 'simulated' | 'test';
  connectUrl: string;
  authUrl: string;
  apiUrl: string;
  apiVersion: 2 | 3;
  v3ApiUrl: string;
  iamUrl: string;
  /** The Application Management Token: the key of webhook signatures; undefined: webhooks are off. */
  webhookAmt: string | undefined;
}

const url = (name: string, fallback: string) =>
  Type.String({ default: fallback, description: `an http(s) URL (${name})` });
const trimmed = (value: unknown) => String(value).replace(/\/$/, '');

export const SMARTCAR_SETTINGS: ProviderSettingsSpec<SmartcarSettings> = {
  env: {
    SMARTCAR_CLIENT_ID: optionalText('the client id of your Smartcar application'),
    SMARTCAR_CLIENT_SECRET: optionalText('the client secret of your Smartcar application'),
    SMARTCAR_SCOPES: Type.String({
      default:
        'required:read_vehicle_info read_vin read_odometer read_location read_battery read_charge control_charge read_fuel read_security control_security read_engine_oil read_tires',
      minLength: 1,
      description: 'space-separated Smartcar permissions; a required: prefix makes one mandatory',
    }),
    SMARTCAR_MODE: Type.Union([Type.Literal('live'), Type.Literal('simulated'), Type.Literal('test')], {
      default: 'live',
      description: 'live, simulated or test',
    }),
    SMARTCAR_CONNECT_URL: url('Connect', 'https://connect.smartcar.com'),
    SMARTCAR_AUTH_URL: url('token endpoint host', 'https://auth.smartcar.com'),
    SMARTCAR_API_URL: url('v2 API', 'https://api.smartcar.com/v2.0'),
    SMARTCAR_API_VERSION: Type.Union([Type.Literal(2), Type.Literal(3)], {
      default: 2,
      description: '2 (user tokens) or 3 (application token with sc-user-id)',
    }),
    SMARTCAR_V3_API_URL: url('v3 API', 'https://vehicle.api.smartcar.com/v3'),
    SMARTCAR_IAM_URL: url('v3 application tokens', 'https://iam.smartcar.com'),
    SMARTCAR_WEBHOOK_AMT: Type.Optional(
      Type.String({
        minLength: 16,
        description: "the application's Application Management Token (signs webhooks); unset: webhooks are off",
      }),
    ),
  },
  credentials: ['SMARTCAR_CLIENT_ID', 'SMARTCAR_CLIENT_SECRET'],
  urls: ['SMARTCAR_CONNECT_URL', 'SMARTCAR_AUTH_URL', 'SMARTCAR_API_URL', 'SMARTCAR_V3_API_URL', 'SMARTCAR_IAM_URL'],
  // Smartcar issues UUIDv4 client ids and secrets: the sandbox's are the same kind, so the raw Basic header is real.
  sandboxCredentials: () => ({
    SMARTCAR_CLIENT_ID: randomUUID(),
    SMARTCAR_CLIENT_SECRET: randomUUID(),
    SMARTCAR_WEBHOOK_AMT: randomUUID(),
  }),
  read: (env, { sandboxed, raw }) => ({
    clientId: String(env.SMARTCAR_CLIENT_ID ?? ''),
    clientSecret: String(env.SMARTCAR_CLIENT_SECRET ?? ''),
    scopes: String(env.SMARTCAR_SCOPES),
    // The sandbox's cars are simulated ones, unless a mode was chosen.
    mode: sandboxed && raw.SMARTCAR_MODE === undefined ? 'simulated' : (env.SMARTCAR_MODE as SmartcarSettings['mode']),
    connectUrl: trimmed(env.SMARTCAR_CONNECT_URL),
    authUrl: trimmed(env.SMARTCAR_AUTH_URL),
    apiUrl: trimmed(env.SMARTCAR_API_URL),
    apiVersion: env.SMARTCAR_API_VERSION as 2 | 3,
    v3ApiUrl: trimmed(env.SMARTCAR_V3_API_URL),
    iamUrl: trimmed(env.SMARTCAR_IAM_URL),
    webhookAmt: env.SMARTCAR_WEBHOOK_AMT === undefined ? undefined : String(env.SMARTCAR_WEBHOOK_AMT),
  }),
};
