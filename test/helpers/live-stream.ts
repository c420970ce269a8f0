/** The live stream (`GET /api/events`) as a dashboard reads it: with the browser's cookie and `X-CSRF: 1`. */
import assert from 'node:assert/strict';
import type { Browser } from './browser.ts';

export interface StreamEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens the stream as the browser would (cookie and X-CSRF), and reads its events as they come. */
export async function openStream(keyfobUrl: string, browser: Browser, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(`${keyfobUrl}/api/events`, {
    headers: {
      'x-csrf': '1',
      cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    close: () => controller.abort(),
    /** The next event other than comments and `retry`, or undefined when the stream ended. */
    async next(timeoutMs = 5_000): Promise<StreamEvent | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (fields.event || fields.data) return fields;
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no stream event in time');
        const read = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no stream event in time')), left)),
        ]);
        if (read.done) return undefined;
        buffer += decoder.decode(read.value, { stream: true });
      }
    },
  };
}
