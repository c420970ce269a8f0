/**
 * An OTLP/HTTP trace receiver of our own (JSON encoding, `POST /v1/traces`), standing in for a collector: it keeps
 * every request body as received, to read the spans and to search for anything secret in them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status?: { code?: number; message?: string };
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

export async function otlpReceiver(t: TestContext) {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces')
        bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Everything received, as sent: for searching for secrets. */
    raw: () => bodies.join('\n'),
    spans(): ReceivedSpan[] {
      return bodies.flatMap((body) =>
        (JSON.parse(body).resourceSpans ?? []).flatMap((resource: { scopeSpans?: Array<{ spans?: unknown[] }> }) =>
          (resource.scopeSpans ?? []).flatMap((scope) =>
            (scope.spans ?? []).map((span) => {
              const raw = span as Omit<ReceivedSpan, 'attributes'> & {
                attributes?: Array<{ key: string; value: AnyValue }>;
              };
              const attributes: ReceivedSpan['attributes'] = {};
              for (const { key, value } of raw.attributes ?? []) {
                attributes[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue);
              }
              return { ...raw, attributes };
            }),
          ),
        ),
      );
    },
  };
}
