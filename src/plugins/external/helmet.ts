/**
 * Security headers on every answer, from the `helmet` package: a Content-Security-Policy that allows only
 * Keyfob's own scripts and styles (the dashboard has no inline code), no framing, `nosniff`, `no-referrer`, and
 * HSTS when PUBLIC_URL is https. Every answer under `/auth` and `/api` (errors and unknown paths included) is
 * also `Cache-Control: no-store`: they hold personal data and session state no cache may keep.
 * Why not @fastify/helmet: it builds the helmet middleware again for every request (parsing the CSP each time),
 * which cost about 4% of a proxied call; here the middleware is built once.
 */
import fp from 'fastify-plugin';
import helmet from 'helmet';

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
    app.addHook('onRequest', (request, reply, done) => {
      const { url } = request.raw;
      if (url?.startsWith('/api') || url?.startsWith('/auth')) reply.raw.setHeader('cache-control', 'no-store');
      middleware(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
    });
  },
  { name: 'helmet', dependencies: ['config'] },
);
