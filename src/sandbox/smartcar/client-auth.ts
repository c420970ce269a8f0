/**
 * Client authentication at Smartcar's token endpoints. HTTP Basic carries the raw client id and secret, as
 * Smartcar's SDKs send them, and they are compared raw: the stricter reading of the reference, which leaves
 * unconfirmed whether Smartcar form-decodes them as RFC 6749 section 2.3.1 asks. A client that form-encodes a UUID
 * (`-` as `%2D`) is refused here. Secrets are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { SandboxClient } from '../options.ts';
import { OAuthError } from '../state/oauth-error.ts';
import type { SandboxState } from '../state/sandbox-state.ts';

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function secretMatches(client: SandboxClient, secret: string): boolean {
  const given = Buffer.from(secret);
  return client.secrets.some((candidate) => {
    const expected = Buffer.from(candidate);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** Authenticates by Basic only (Smartcar's `/oauth/token`), or also by form fields (`/oauth2/token`). */
export function authenticateClient(
  state: SandboxState,
  authorization: string | undefined,
  form: Record<string, string | undefined>,
  allowFormSecret: boolean,
): SandboxClient {
  const basic = parseBasic(authorization);
  const fromForm =
    form.client_secret !== undefined ? { id: form.client_id ?? '', secret: form.client_secret } : undefined;
  if (basic && fromForm) throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
  const credentials = basic ?? (allowFormSecret ? fromForm : undefined);
  if (!credentials) {
    throw new OAuthError(
      'invalid_client',
      allowFormSecret ? 'Client authentication is required.' : 'Use HTTP Basic client authentication.',
    );
  }
  const client = state.client(credentials.id);
  if (!client || !secretMatches(client, credentials.secret))
    throw new OAuthError('invalid_client', 'Invalid client credentials.');
  return client;
}
