/** The scopes a proxied call needs: the route's own, and for a batch each sub-path's. */
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import type { ProxyRoute } from '../providers/provider-adapter.ts';
import { BATCHABLE } from '../providers/smartcar/smartcar-routes.ts';

export function requiredScopes(route: ProxyRoute, body: unknown): string[] {
  const scopes = route.scope ? [route.scope] : [];
  for (const path of route.batchPaths?.(body) ?? []) {
    const target = BATCHABLE.get(path);
    if (!target)
      throw new KeyfobError(
        ERROR_CODES.BAD_REQUEST,
        400,
        `batch path ${JSON.stringify(path)} is not a readable endpoint`,
      );
    if (target.scope) scopes.push(target.scope);
  }
  return [...new Set(scopes)];
}

/** 403 naming the first missing scope, as the reference's scope model asks. */
export function assertScopes(granted: string[], needed: string[]) {
  const missing = needed.filter((scope) => !granted.includes(scope));
  if (missing.length > 0) {
    throw new KeyfobError(
      ERROR_CODES.INSUFFICIENT_SCOPE,
      403,
      `this vehicle's connection lacks the permission ${missing.join(', ')}`,
      {
        details: { missingScopes: missing },
      },
    );
  }
}
