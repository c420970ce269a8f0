/** An OAuth error answer of a token endpoint (RFC 6749 section 5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }

  toBody() {
    return { error: this.error, error_description: this.description };
  }
}
