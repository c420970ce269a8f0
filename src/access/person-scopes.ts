/**
 * The scopes of a signed-in person: `USER_SCOPES` (default: the whole table); with `OIDC_SCOPES_CLAIM`, what the
 * identity provider's claim named at sign-in, within `USER_SCOPES`. A session from before the claim was configured
 * holds none until its person signs in again: a missing claim grants nothing.
 */
import type { Session } from 'fastify';
import type { AccessSettings } from '../config/access-settings.ts';
import type { PersonPrincipal } from './principal.ts';
import { type KeyfobScope, parseScopes } from './scope-table.ts';

export function personPrincipal(session: Session, access: AccessSettings): PersonPrincipal {
  const scopes = access.oidcScopesClaim
    ? access.userScopes.filter((scope) => session.scopes?.includes(scope))
    : access.userScopes;
  return { kind: 'person', userId: session.userId as string, scopes };
}

/** The claim's value at a dotted path (`realm_access.roles`), read as scopes; unknown names are left out. */
export function scopesFromClaims(claims: Record<string, unknown>, path: string): KeyfobScope[] {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return parseScopes(value).scopes;
}
