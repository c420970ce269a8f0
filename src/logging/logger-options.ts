/**
 * pino options shared by Keyfob and the sandbox. Two layers keep secrets out of logs: fast-redact paths for the
 * headers every request carries, and a formatter that walks each logged object and redacts any field named
 * like a token, secret, code, verifier or VIN, so a new log call cannot leak one by accident.
 */
import type { FastifyServerOptions } from 'fastify';
import type { LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import { redactUrl, scrubLogObject } from './mask.ts';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
];

interface SerializableRequest {
  method?: string;
  url?: string;
  id?: string;
  ip?: string;
  raw?: { url?: string; method?: string };
}

/** pino options for a service; `level` comes from LOG_LEVEL. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      log: (object) => scrubLogObject(object) as Record<string, unknown>,
    },
    serializers: {
      // Fastify's default request serializer logs the raw URL, which on /auth/callback holds the code.
      req: (req: SerializableRequest) => ({
        method: req.method ?? req.raw?.method,
        url: redactUrl(req.url ?? req.raw?.url ?? ''),
        id: req.id,
        ip: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * Readable log lines for a person at a terminal (pino-pretty), in this thread rather than a transport worker: the
 * lines are formatted after pino's redaction and the formatter above ran, so they hold exactly what a JSON line
 * would, and nothing is lost if the process exits at once.
 */
export function prettyStream(destination?: NodeJS.WritableStream) {
  return pinoPretty({
    destination: destination ?? 1,
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}

/**
 * The `logger` entry of Fastify's options, optionally writing to a given stream (tests capture logs so), as JSON
 * lines or, with `pretty` (LOG_PRETTY), readable ones.
 */
export function fastifyLoggerOptions(
  level: string,
  stream?: NodeJS.WritableStream,
  pretty = false,
): NonNullable<FastifyServerOptions['logger']> {
  const options = loggerOptions(level);
  if (pretty) return { ...options, stream: prettyStream(stream) };
  return stream ? { ...options, stream } : options;
}
