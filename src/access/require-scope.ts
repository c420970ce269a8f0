/**
 * The route's Keyfob scope, checked for every `/api` route before its body is read: a person lacking it gets 403
 * `insufficient_scope` (JSON, naming the scope); a machine client too, with RFC 6750's
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="<needed>"`. A machine token that lives longer than
 * the scope's sensitivity allows (scope-table.ts) is refused as `invalid_token` when MACHINE_ENFORCE_TOKEN_LIFETIME
 * is on.
 * @see RFC 6750 section 3.1
 */
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { invalidToken } from './bearer-challenge.ts';
import type { Principal } from './principal.ts';
import { type KeyfobScope, maxTokenLifetimeSeconds } from './scope-table.ts';

export function insufficientScope(principal: Principal, missing: readonly KeyfobScope[]): KeyfobError {
  const needed = missing.join(' ');
  return new KeyfobError(
    ERROR_CODES.INSUFFICIENT_SCOPE,
    403,
    principal.kind === 'machine'
      ? `this access token lacks the scope ${needed}`
      : `your account lacks the permission ${needed}`,
    {
      details: { missingScopes: [...missing], grantedBy: 'keyfob' },
      ...(principal.kind === 'machine'
        ? { headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${needed}"` } }
        : {}),
    },
  );
}

export function requireScopes(
  principal: Principal,
  needed: readonly KeyfobScope[],
  options: { enforceTokenLifetime: boolean },
): void {
  const missing = needed.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) throw insufficientScope(principal, missing);
  if (principal.kind === 'machine' && options.enforceTokenLifetime) {
    const limit = Math.min(...needed.map(maxTokenLifetimeSeconds));
    if (principal.tokenLifetimeSeconds > limit) {
      throw invalidToken(
        `access token lifetime ${principal.tokenLifetimeSeconds} s exceeds ${limit} s for ${needed.join(' ')}`,
      );
    }
  }
}
