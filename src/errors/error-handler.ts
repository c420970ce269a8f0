/**
 * Every error answer of Keyfob is JSON `{ error, message, ...details }`. Fastify's own 4xx (validation, body
 * too large, bad content type) keep their status with a clear message; anything unexpected is a 500 whose
 * detail stays in the log, tied to the request id the browser sees.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_CODES, KeyfobError } from './keyfob-error.ts';

function fromFastify(error: FastifyError): KeyfobError | undefined {
  const status = error.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (error.validation) return new KeyfobError(ERROR_CODES.BAD_REQUEST, 400, `invalid request: ${error.message}`);
  if (status === 413) return new KeyfobError(ERROR_CODES.PAYLOAD_TOO_LARGE, 413, 'request body is too large');
  return new KeyfobError(ERROR_CODES.BAD_REQUEST, status, error.message);
}

export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof KeyfobError ? error : fromFastify(error);
    if (!known || known.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: known.code, status: known.statusCode }, known.message);
    }
    const answer = known ?? new KeyfobError(ERROR_CODES.INTERNAL, 500, 'internal error');
    const retryAfter = answer.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
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
