/**
 * Every error answer of Keyfob is JSON `{ error, message, ...details }`. Fastify's own 4xx (validation, body
 * too large, bad content type) keep their status with a clear message; anything unexpected is a 500 whose
 * detail stays in the log, tied to the request id the browser sees.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';
import { VaultError } from '../vault/vault-error.ts';
import { ERROR_CODES, KeyfobError } from './keyfob-error.ts';

function fromFastify(error: FastifyError): KeyfobError | undefined {
  const status = error.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (error.validation) return new KeyfobError(ERROR_CODES.BAD_REQUEST, 400, `invalid request: ${error.message}`);
  if (status === 413) return new KeyfobError(ERROR_CODES.PAYLOAD_TOO_LARGE, 413, 'request body is too large');
  return new KeyfobError(ERROR_CODES.BAD_REQUEST, status, error.message);
}

const RETRY_DEPENDENCY_SECONDS = 5;

/** Errors of a dependency that is away for now: the request may be retried, and nothing was half-written. */
function fromDependency(error: unknown): KeyfobError | undefined {
  if (isDatabaseUnavailable(error)) {
    return new KeyfobError(ERROR_CODES.DATABASE_UNAVAILABLE, 503, 'the database is unavailable; try again shortly', {
      cause: error,
      expose: true,
      details: { retryAfterSeconds: RETRY_DEPENDENCY_SECONDS },
    });
  }
  if (error instanceof VaultError) {
    // A stored secret that fails its integrity check (tampered, moved to another row, or sealed with a key no
    // longer configured) is unusable: the user must connect again, which stores a fresh one.
    return new KeyfobError(ERROR_CODES.REAUTH_REQUIRED, 401, 'this vehicle needs to be connected again', {
      cause: error,
      details: { loginUrl: '/auth/login' },
    });
  }
  return undefined;
}

export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof KeyfobError ? error : (fromDependency(error) ?? fromFastify(error));
    if (error instanceof VaultError) request.log.error({ err: error }, 'a stored secret failed its integrity check');
    if (!known || (known.statusCode >= 500 && known.statusCode !== 503)) {
      request.log.error({ err: error }, 'request failed');
    } else if (known.statusCode === 503) {
      request.log.warn({ err: error.message, status: 503 }, known.message);
    } else {
      request.log.info(
        { code: known.code, status: known.statusCode, ...(known.logDetail ? { reason: known.logDetail } : {}) },
        known.message,
      );
    }
    const answer = known ?? new KeyfobError(ERROR_CODES.INTERNAL, 500, 'internal error');
    request.server.metrics?.errors.inc({ code: answer.code });
    const retryAfter = answer.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    if (answer.headers) reply.headers(answer.headers);
    return reply.code(answer.statusCode).send({
      error: answer.code,
      message: answer.expose ? answer.message : 'Keyfob could not complete this request.',
      requestId: request.id,
      ...(answer.expose ? answer.details : {}),
    });
  });

  // The default 404 body echoes the URL, query string included: on /auth/callback that would be the code.
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: ERROR_CODES.NOT_FOUND,
      message: `no route for ${request.method} ${request.url.split('?')[0]}`,
      requestId: request.id,
    }),
  );
}
