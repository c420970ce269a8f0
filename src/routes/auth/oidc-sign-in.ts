/**
 * Sign-in at the OpenID Connect identity provider: the start (`/auth/login` without `provider`) and the end (the
 * callback of a pending login that went to the identity provider). The user is keyed by (issuer, `sub`), never by
 * email; the session id is renewed; the provider's tokens are kept encrypted with the sign-in record, which
 * back-channel logout finds by `sid` or `sub`. The session keeps the display name and email, and the scopes of
 * OIDC_SCOPES_CLAIM when that is set, nothing else of the claims.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oauth from 'openid-client';
import { scopesFromClaims } from '../../access/person-scopes.ts';
import { addPendingLogin, type PendingLogin } from '../../connect/pending-logins.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { updateSession } from '../../sessions/session-timeouts.ts';

const unavailable = (cause: unknown) =>
  new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the identity provider could not be reached', {
    cause,
    expose: true,
  });

export async function startOidcSignIn(
  app: FastifyInstance,
  request: FastifyRequest,
  returnTo: string,
  prompt?: 'login',
) {
  const identity = app.identity;
  if (!identity) throw new Error('no identity provider');
  const codeVerifier = oauth.randomPKCECodeVerifier();
  const state = oauth.randomState();
  const nonce = oauth.randomNonce();
  let url: URL;
  try {
    url = await identity.client.authorizationUrl({
      redirectUri: `${app.config.publicUrl}/auth/callback`,
      state,
      nonce,
      codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      ...(prompt ? { prompt } : {}),
    });
  } catch (error) {
    throw unavailable(error);
  }
  addPendingLogin(request.session, { state, codeVerifier, nonce, provider: 'oidc', returnTo, startedAt: Date.now() });
  return url;
}

/** Why a sign-in answer was refused: a check failed (state, iss, nonce, signature, audience, expiry ...). */
function refusedBy(error: unknown): 'sign_in_refused' | 'identity_provider_unavailable' {
  const refused =
    error instanceof oauth.ResponseBodyError ||
    error instanceof oauth.AuthorizationResponseError ||
    (error as { code?: string }).code?.startsWith('OAUTH_') === true ||
    (error as { name?: string }).name === 'OperationProcessingError';
  const network = (error as { code?: string }).code === 'OAUTH_TIMEOUT' || (error as Error).name === 'TypeError';
  return refused && !network ? 'sign_in_refused' : 'identity_provider_unavailable';
}

export async function finishOidcSignIn(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingLogin,
  audit: (outcome: string, status: number, userId?: string | null) => Promise<unknown>,
) {
  const identity = app.identity;
  if (!identity) throw new Error('no identity provider');
  let signedIn: Awaited<ReturnType<typeof identity.client.signIn>>;
  try {
    signedIn = await identity.client.signIn(new URL(request.url, app.config.publicUrl), {
      state: pending.state,
      nonce: pending.nonce ?? '',
      codeVerifier: pending.codeVerifier,
    });
  } catch (error) {
    const outcome = refusedBy(error);
    request.log.warn({ outcome, code: (error as { code?: string }).code }, 'identity provider sign-in failed');
    await audit(`sign_in_failed:${outcome}`, 302);
    return reply.redirect(`/?connect_error=${outcome}`, 302);
  }
  const userId = await app.repos.users.findOrCreateByIdentity(
    { kind: 'oidc', issuer: identity.client.issuer, subject: signedIn.subject },
    undefined,
  );
  // A new session id for the signed-in session: an id planted before sign-in is worthless after it.
  await request.session.regenerate();
  const now = Date.now();
  const oidcSessionId = await identity.sessions.create({
    userId,
    issuer: identity.client.issuer,
    subject: signedIn.subject,
    sid: signedIn.sid,
    sessionId: request.session.sessionId,
    idToken: signedIn.idToken,
    accessToken: signedIn.accessToken,
    refreshToken: signedIn.refreshToken,
  });
  updateSession(request.session, {
    userId,
    createdAt: now,
    lastSeenAt: now,
    oidcSessionId,
    ...(signedIn.name ? { displayName: signedIn.name } : {}),
    ...(signedIn.email ? { email: signedIn.email } : {}),
  });
  const claim = app.config.access.oidcScopesClaim;
  if (claim) {
    const scopes = scopesFromClaims(signedIn.claims, claim);
    updateSession(request.session, { scopes });
    if (scopes.length === 0) request.log.warn({ claim }, 'the identity provider named no Keyfob scope for this person');
  }
  await audit('signed_in', 302, userId);
  return reply.redirect(pending.returnTo, 302);
}
