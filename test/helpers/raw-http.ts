/**
 * One HTTP/1.1 request written byte for byte on a socket: for attacks a well-behaved client (fetch) refuses to
 * send or would normalise first (`..` in paths, bare CR in headers, absolute-form targets, slow bodies).
 */
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, status line included. */
  raw: string;
}

export function parseRawAnswer(raw: string): RawAnswer {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = rest.join('\r\n\r\n');
  if (headers['transfer-encoding'] === 'chunked') {
    // Enough of chunked decoding for the small JSON answers these tests read.
    let decoded = '';
    let remaining = body;
    while (remaining.length > 0) {
      const lineEnd = remaining.indexOf('\r\n');
      const size = Number.parseInt(remaining.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += remaining.slice(lineEnd + 2, lineEnd + 2 + size);
      remaining = remaining.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, raw };
}

/** Sends `request` (with `Connection: close` expected in it) and resolves with the whole answer. */
export function rawRequest(baseUrl: string, request: string, options: { timeoutMs?: number } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRawAnswer(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(request, 'latin1');
  });
}
