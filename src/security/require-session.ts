/** Refuses (401 JSON) a request whose session does not belong to a signed-in user. */
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export function requireSession(request: FastifyRequest): void {
  if (!request.session.userId) {
    throw new KeyfobError(ERROR_CODES.UNAUTHENTICATED, 401, 'sign in first', { details: { loginUrl: '/auth/login' } });
  }
}

/** The signed-in user's id; call after requireSession. */
export function sessionUserId(request: FastifyRequest): string {
  return request.session.userId as string;
}
