/**
 * Who is calling `/api`: a signed-in person (session cookie and CSRF header) or a machine client (a bearer access
 * token from the operator's authorization server). Set by the `/api` authentication hooks before any route runs;
 * the routes read ownership and scope from it, never from the session or the token directly.
 */
import type { FastifyRequest } from 'fastify';
import type { KeyfobScope } from './scope-table.ts';

export interface PersonPrincipal {
  kind: 'person';
  userId: string;
  scopes: readonly KeyfobScope[];
}

export interface MachinePrincipal {
  kind: 'machine';
  /** The token's `client_id` (RFC 9068). */
  clientId: string;
  scopes: readonly KeyfobScope[];
  /** `exp - iat` of the token, checked against the scope table's lifetime for the route. */
  tokenLifetimeSeconds: number;
}

export type Principal = PersonPrincipal | MachinePrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The caller; the `/api` hooks have set it before any route handler runs. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('no principal: the /api authentication hooks did not run');
  return request.principal;
}

/** How the caller appears in audit events and metrics: `dashboard`, or `machine:<client id>`. */
export function auditClientId(principal: Principal | undefined): string {
  return principal?.kind === 'machine' ? `machine:${principal.clientId}` : 'dashboard';
}
