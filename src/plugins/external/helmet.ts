/**
 * Security headers on every answer, from the `helmet` package: a Content-Security-Policy that allows only
 * Keyfob's own scripts and styles (the dashboard has no inline code), no framing, `nosniff`, `no-referrer`, and
 * HSTS when PUBLIC_URL is https. Every answer under `/auth` and `/api` (errors and unknown paths included) gets the
 * API set instead: a CSP that allows nothing, `nosniff`, `no-referrer`, same-origin resource policy, HSTS, and
 * `Cache-Control: no-store`: they hold personal data and session state no cache may keep.
 * Why not @fastify/helmet: it builds the helmet middleware again for every request (parsing the CSP each time),
 * which cost about 4% of a proxied call. Here the middleware runs once, at start, against a recording response:
 * its headers never vary per request (no nonces), so each answer gets the recorded set, added to Fastify's own
 * header object (running the middleware on every raw response cost another 8%).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/** The headers a helmet middleware sets, recorded once. */
function recordedHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

export default fp(
  async (app) => {
    const middleware = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: app.config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
    });
    const pageHeaders = recordedHeaders(middleware);
    // `/auth` and `/api` answer JSON and redirects, never a page: the short set OWASP's REST Security cheat sheet
    // gives for APIs (nothing may load, frame, sniff or cache them), fewer bytes on every proxied call.
    const hsts = pageHeaders['strict-transport-security'];
    const apiHeaders: Record<string, string> = {
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
      ...(hsts ? { 'strict-transport-security': hsts } : {}),
    };
    app.addHook('onRequest', (request, reply, done) => {
      const { url } = request;
      reply.headers(url.startsWith('/api') || url.startsWith('/auth') ? apiHeaders : pageHeaders);
      done();
    });
  },
  { name: 'helmet', dependencies: ['config'] },
);
