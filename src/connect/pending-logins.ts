/**
 * Login attempts waiting for the provider's callback, kept in the browser's own server-side session: that binds
 * each `state` to the browser that started the flow. Each is single use and lives 10 minutes (a Smartcar code's
 * lifetime); a handful may be open at once (several tabs), the oldest dropped first.
 */
import type { Session } from 'fastify';
import { updateSession } from '../sessions/session-timeouts.ts';

export interface PendingLogin {
  state: string;
  codeVerifier: string;
  /** Where the flow went: a vehicle provider's name, or `oidc` (the identity provider): the callback exchanges the
   * code there, whatever its query says. */
  provider: string;
  /** The OpenID Connect `nonce` the ID token must carry (sign-in at the identity provider only). */
  nonce?: string;
  returnTo: string;
  startedAt: number;
}

const LIFETIME_MS = 10 * 60_000;
const MAX_OPEN = 5;

export function addPendingLogin(session: Session, login: PendingLogin): void {
  const open = (session.pendingLogins ?? []).filter((item) => Date.now() - item.startedAt < LIFETIME_MS);
  updateSession(session, { pendingLogins: [...open, login].slice(-MAX_OPEN) });
}

/** Removes and returns the login with this state, if it exists and has not expired. */
export function takePendingLogin(session: Session, state: string): PendingLogin | undefined {
  const open = session.pendingLogins ?? [];
  const found = open.find((item) => item.state === state);
  if (found) updateSession(session, { pendingLogins: open.filter((item) => item !== found) });
  if (!found || Date.now() - found.startedAt >= LIFETIME_MS) return undefined;
  return found;
}
