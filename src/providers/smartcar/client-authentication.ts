/**
 * How Keyfob authenticates to Smartcar's token endpoints: the one place that says so.
 * - `/oauth/token` (user tokens): HTTP Basic with the raw client id and secret, exactly as Smartcar's own SDKs send
 *   them. RFC 6749 section 2.3.1 form-urlencodes both first, and openid-client's `ClientSecretBasic` does, turning
 *   every `-` of Smartcar's UUID client ids into `%2D`; whether Smartcar decodes that is unconfirmed, so Keyfob sends
 *   the raw values (identical for any server when they hold only letters, digits and `-._~`). openid-client has no
 *   such method, hence these few lines of our own.
 * - `/oauth2/token` (v3 application tokens): the id and secret in the form body (`client_secret_post`).
 * @see ../../../../shared/reference/vehicle-apis.md (Smartcar, Token endpoint)
 */
import * as oauth from 'openid-client';

export function smartcarBasicAuth(clientSecret: string): oauth.ClientAuth {
  return (_server, client, _body, headers) => {
    const credentials = Buffer.from(`${client.client_id}:${clientSecret}`, 'utf8').toString('base64');
    headers.set('authorization', `Basic ${credentials}`);
  };
}

export const smartcarApplicationAuth = (clientSecret: string) => oauth.ClientSecretPost(clientSecret);
