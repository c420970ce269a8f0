/**
 * High Mobility's error answers: the token endpoint's `{ error: "invalid_request", error_description }` (400 for
 * every failure seen), and the data and fleet APIs' `{ errors: [{ title, detail }] }`.
 */
import type { FastifyReply } from 'fastify';

export class TokenRequestError extends Error {
  constructor(readonly description: string) {
    super(description);
  }
}

export function sendTokenError(reply: FastifyReply, description: string) {
  return reply
    .code(400)
    .header('cache-control', 'no-store')
    .send({ error: 'invalid_request', error_description: description });
}

export function sendApiError(reply: FastifyReply, status: number, title: string, detail: string, retryAfter?: number) {
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(status).send({ errors: [{ title, detail }], request_id: crypto.randomUUID() });
}
