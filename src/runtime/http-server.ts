/**
 * The Node HTTP server under Fastify, and the answers to clients that never send a whole request.
 *
 * - Slow clients: the headers must arrive within `headersTimeoutMs` and the whole request within
 *   `requestTimeoutMs`, and Node checks those deadlines every second instead of its default 30 s, so a
 *   slowloris client holds a socket for seconds, not a minute.
 * - Huge headers: anything past 16 KiB is refused by Node's parser (431).
 * - Clients that stop reading or writing: a socket silent for `idleTimeoutMs` is closed (longer than the slowest
 *   answer Keyfob may legitimately take: a refresh and a call, each bounded by the upstream timeout).
 * - Request targets other than a path (absolute-form `GET http://host/...`, or `*`) are refused with 400: Keyfob
 *   is no forward proxy, and a target naming another host must not be served as if it named Keyfob.
 * The clientError answers are JSON, like every other answer of Keyfob.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode } from '../errors/keyfob-error.ts';

export const MAX_HEADER_BYTES = 16 * 1024;
const SLASH = 47;

export function httpServerFactory(limits: {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}) {
  return (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
        connectionsCheckingInterval: 1_000,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
      },
      (request, response) => {
        if (request.url?.charCodeAt(0) === SLASH) return handler(request, response);
        const body = JSON.stringify({ error: ERROR_CODES.BAD_REQUEST, message: 'the request target must be a path' });
        response.writeHead(400, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        response.end(body);
      },
    );
    server.setTimeout(limits.idleTimeoutMs);
    // CONNECT never reaches Fastify: Node hands it to this event, and Keyfob tunnels nothing.
    server.on('connect', (_request, socket: Socket) =>
      writeJsonAndClose(socket, 405, 'Method Not Allowed', {
        error: ERROR_CODES.METHOD_NOT_ALLOWED,
        message: 'CONNECT is not supported',
      }),
    );
    return server;
  };
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: ERROR_CODES.HEADERS_TOO_LARGE,
    message: `request headers are larger than ${MAX_HEADER_BYTES} bytes`,
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: ERROR_CODES.REQUEST_TIMEOUT,
    message: 'the request did not arrive in time',
  },
};

const NOT_HTTP = {
  status: 400,
  reason: 'Bad Request',
  code: ERROR_CODES.BAD_REQUEST,
  message: 'the request is not valid HTTP',
};

/** Fastify's `clientErrorHandler`: a JSON answer when the socket can still take one, then close it. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[error.code ?? ''] ?? NOT_HTTP;
  writeJsonAndClose(socket, known.status, known.reason, { error: known.code, message: known.message });
}

/** An answer written straight on the socket, for requests Fastify never sees. */
function writeJsonAndClose(socket: Socket, status: number, reason: string, answer: Record<string, string>) {
  const body = JSON.stringify(answer);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
