/**
 * A scripted browser for end-to-end tests: a cookie jar for Keyfob's origin, manual redirects, and a record of
 * every answer Keyfob gave it (status, headers, body), so a test can search everything the browser saw. With
 * KEYFOB_ANSWER_LOG set (npm test sets it), every answer is also appended to that file, for the OpenAPI contract
 * test that runs after the suite (test/openapi/contract.test.ts).
 */
import { appendFileSync } from 'node:fs';
import { type ConsentChoices, consent, highMobilityConsent } from './sandbox-flow.ts';

const ANSWER_LOG = process.env.KEYFOB_ANSWER_LOG;

export interface SeenAnswer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  readonly seen: SeenAnswer[] = [];
  /** Headers sent with every request (a client address through X-Forwarded-For, say). */
  readonly defaultHeaders: Record<string, string> = {};

  constructor(readonly origin: string) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {},
  ): Promise<{ status: number; headers: Headers; text: string; json: any }> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...options.headers };
    if (options.csrf !== false) headers['x-csrf'] = '1';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const url = new URL(path, this.origin).toString();
    const response = await fetch(url, {
      method,
      headers,
      redirect: 'manual',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    const text = await response.text();
    const seen = { method, url, status: response.status, headers: Object.fromEntries(response.headers), body: text };
    this.seen.push(seen);
    // One line per answer, written in one call: the suite's files append to the same log at once.
    if (ANSWER_LOG && url.startsWith(this.origin)) appendFileSync(ANSWER_LOG, `${JSON.stringify(seen)}\n`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** The whole connect flow: /auth/login, the sandbox's consent pages, the callback. Returns the callback answer. */
  async connect(choices: ConsentChoices = {}, returnTo = '/') {
    const login = await this.request('GET', `/auth/login?provider=smartcar&returnTo=${encodeURIComponent(returnTo)}`, {
      csrf: false,
    });
    if (login.status !== 302) throw new Error(`login answered ${login.status}: ${login.text}`);
    const callback = await consent(login.headers.get('location') ?? '', choices);
    return this.request('GET', callback.pathname + callback.search, { csrf: false });
  }

  /** The connect flow at High Mobility: one car (`vehicle` as "accountId:vehicleId"), approved or denied. */
  async connectHighMobility(choices: { vehicle?: string; decision?: 'approve' | 'deny' } = {}, returnTo = '/') {
    const login = await this.request(
      'GET',
      `/auth/login?provider=highmobility&returnTo=${encodeURIComponent(returnTo)}`,
      { csrf: false },
    );
    if (login.status !== 302) throw new Error(`login answered ${login.status}: ${login.text}`);
    const callback = await highMobilityConsent(login.headers.get('location') ?? '', choices);
    return this.request('GET', callback.pathname + callback.search, { csrf: false });
  }

  /**
   * Everything Keyfob answered this browser, as one string: bodies and headers (cookies included). Not the URLs
   * the browser asked for: the provider's redirect to /auth/callback carries the code by design of OAuth.
   */
  everythingSeen(): string {
    return this.seen.map((answer) => `${JSON.stringify(answer.headers)}\n${answer.body}`).join('\n');
  }

  #store(line: string) {
    const [pair, ...attributes] = line.split(';');
    const eq = (pair ?? '').indexOf('=');
    const name = (pair ?? '').slice(0, eq).trim();
    const value = (pair ?? '').slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key, val] = attribute.trim().split('=');
      return (
        (key?.toLowerCase() === 'max-age' && Number(val) <= 0) ||
        (key?.toLowerCase() === 'expires' && Date.parse(val ?? '') < Date.now())
      );
    });
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
