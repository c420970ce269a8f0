/**
 * The one HTTP client Keyfob uses toward provider APIs (undici). Each call carries its own Authorization header:
 * no default headers live on a pooled client, so one user's token can never ride on another user's request
 * (the class of bug behind Duende CVE-2024-51987). A timeout is a 504 and a network failure a 502, both as
 * KeyfobError, so the browser gets a clear JSON answer.
 */
import { Agent, errors } from 'undici';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });

/**
 * Splits a URL Keyfob built (a configured base URL plus a path whose ids are percent-encoded) into origin and path
 * for undici's dispatcher, which takes them apart: parsing a WHATWG URL per call cost about 2% of a proxied call.
 * The origin is always the configured one; undici refuses a path with characters a request line cannot hold.
 */
function originAndPath(url: string): { origin: string; path: string } {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  return pathStart === -1
    ? { origin: url, path: '/' }
    : { origin: url.slice(0, pathStart), path: url.slice(pathStart) };
}

export async function callUpstream(options: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}): Promise<UpstreamAnswer> {
  try {
    const answer = await agent.request({
      ...originAndPath(options.url),
      method: options.method as 'GET',
      headers: options.headers,
      body: options.body,
      // Headers within the timeout, then no gap in the body longer than it: no per-call AbortSignal needed.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const body = Buffer.from(await answer.body.arrayBuffer());
    return { status: answer.statusCode, headers: answer.headers, body };
  } catch (error) {
    const timedOut =
      error instanceof errors.HeadersTimeoutError ||
      error instanceof errors.BodyTimeoutError ||
      (error as Error).name === 'TimeoutError' ||
      (error as Error).name === 'AbortError';
    if (timedOut) {
      throw new KeyfobError(ERROR_CODES.UPSTREAM_TIMEOUT, 504, 'the vehicle provider did not answer in time', {
        cause: error,
      });
    }
    throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, 'the vehicle provider could not be reached', {
      cause: error,
    });
  }
}

/** Parses a JSON answer, or throws a 502 naming what was expected. */
export function jsonOf<T>(answer: UpstreamAnswer, what: string): T {
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch (error) {
    throw new KeyfobError(ERROR_CODES.UPSTREAM_UNAVAILABLE, 502, `the vehicle provider sent an unreadable ${what}`, {
      cause: error,
    });
  }
}
