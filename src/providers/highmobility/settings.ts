/**
 * High Mobility's settings: `HIGHMOBILITY_*`. The fleet assertion's private key is read here (PEM text, or the path
 * of a PEM file) and kept in memory only: never logged, answered or stored, and never echoed in a config error.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { readPrivateKeyPem } from '../../config/private-key.ts';
import { optionalText, type ProviderSettingsSpec } from '../provider-module.ts';

export interface HighMobilitySettings {
  clientId: string;
  clientSecret: string;
  appId: string;
  authUrl: string;
  apiUrl: string;
  /** The fleet client assertion's key (PEM text, never a path) and its console id; absent: the secret is used. */
  privateKeyPem: string | undefined;
  privateKeyId: string | undefined;
}

const KEY = 'HIGHMOBILITY_PRIVATE_KEY';

export const HIGHMOBILITY_SETTINGS: ProviderSettingsSpec<HighMobilitySettings> = {
  env: {
    HIGHMOBILITY_CLIENT_ID: optionalText('the OAuth client id of your High Mobility application'),
    HIGHMOBILITY_CLIENT_SECRET: optionalText('the OAuth client secret of your High Mobility application'),
    HIGHMOBILITY_APP_ID: Type.Optional(
      Type.String({ pattern: '^[0-9A-Fa-f]{24}$', description: 'the app id from the console: 24 hex digits' }),
    ),
    HIGHMOBILITY_AUTH_URL: Type.String({
      default: 'https://owner-panel.high-mobility.com/oauth/new',
      description: "the consent page (the console's Auth URI), an http(s) URL",
    }),
    HIGHMOBILITY_API_URL: Type.String({
      default: 'https://api.high-mobility.com',
      description: 'the API host (the /v1 paths are below it), an http(s) URL',
    }),
    [KEY]: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'a PKCS#8 P-256 private key (PEM, or a path to a PEM file) for the fleet client assertion',
      }),
    ),
    HIGHMOBILITY_PRIVATE_KEY_ID: Type.Optional(
      Type.String({
        minLength: 1,
        description: "the id of that key in the High Mobility console (the assertion's iss)",
      }),
    ),
  },
  credentials: ['HIGHMOBILITY_CLIENT_ID', 'HIGHMOBILITY_CLIENT_SECRET', 'HIGHMOBILITY_APP_ID'],
  urls: ['HIGHMOBILITY_AUTH_URL', 'HIGHMOBILITY_API_URL'],
  sandboxCredentials: () => ({
    HIGHMOBILITY_CLIENT_ID: randomUUID(),
    HIGHMOBILITY_CLIENT_SECRET: randomUUID(),
    HIGHMOBILITY_APP_ID: randomBytes(12).toString('hex'),
  }),
  read(env, _context, problems) {
    const privateKeyPem = readPrivateKeyPem(env[KEY], KEY, problems);
    const privateKeyId = env.HIGHMOBILITY_PRIVATE_KEY_ID as string | undefined;
    if ((env[KEY] === undefined) !== (privateKeyId === undefined)) {
      problems.push({
        variable: env[KEY] === undefined ? KEY : 'HIGHMOBILITY_PRIVATE_KEY_ID',
        expected: 'set together with the other: the assertion needs the key and its id',
      });
    }
    return {
      clientId: String(env.HIGHMOBILITY_CLIENT_ID ?? ''),
      clientSecret: String(env.HIGHMOBILITY_CLIENT_SECRET ?? ''),
      appId: String(env.HIGHMOBILITY_APP_ID ?? ''),
      authUrl: String(env.HIGHMOBILITY_AUTH_URL),
      apiUrl: String(env.HIGHMOBILITY_API_URL).replace(/\/$/, ''),
      privateKeyPem,
      privateKeyId,
    };
  },
};
