/**
 * The JWS algorithms Keyfob accepts on any token it verifies (logout tokens, machine clients' access tokens):
 * asymmetric only. An HMAC "verified" with a public key is RFC 8725's algorithm confusion, and `none` is no
 * signature at all.
 * @see RFC 8725 section 3.1
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
