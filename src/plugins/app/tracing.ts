/**
 * Decorates `fastify.tracing` (tracing/tracing.ts) and, when tracing is on, opens a span for every request as it
 * arrives (`request.trace`, the parent of the session read, token refresh and upstream spans) and ends it with the
 * answer's status. Off, no hook is added: untraced requests pay nothing.
 */
import fp from 'fastify-plugin';
import { redactUrl } from '../../logging/mask.ts';
import { TRACING_OFF, type TracedSpan, type Tracing, traceOf } from '../../tracing/trace-scope.ts';

declare module 'fastify' {
  interface FastifyInstance {
    tracing: Tracing;
  }
  interface FastifyRequest {
    /** This request's span (null when tracing is off): see `traceOf`. */
    trace: TracedSpan | null;
  }
}

export default fp(
  async (app) => {
    const settings = app.config.tracing;
    // The OpenTelemetry SDK is loaded only when tracing is on.
    const tracing = settings
      ? // A .js specifier: tsc rewrites static imports' .ts extensions for dist/, not dynamic ones (tsx maps it to .ts).
        (await import('../../tracing/otlp-tracing.js')).createOtlpTracing(settings)
      : TRACING_OFF;
    app.decorate('tracing', tracing);
    app.decorateRequest('trace', null);
    app.addHook('onClose', () => tracing.shutdown());
    if (!tracing.enabled) return;
    app.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      request.trace = tracing.startRequest(route ? `${request.method} ${route}` : request.method, request.headers, {
        'http.request.method': request.method,
        ...(route ? { 'http.route': route } : {}),
        'url.path': redactUrl(request.url),
        'keyfob.request_id': request.id,
      });
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      const span = traceOf(request);
      span.set({
        'http.response.status_code': reply.statusCode,
        ...(request.principal ? { 'keyfob.caller': request.principal.kind } : {}),
        ...(request.principal?.kind === 'machine' ? { 'keyfob.machine_client_id': request.principal.clientId } : {}),
      });
      span.end(reply.statusCode >= 500 ? { code: String(reply.statusCode) } : undefined);
      done();
    });
    app.log.info({ endpoint: app.config.tracing?.endpoint }, 'OpenTelemetry tracing on');
  },
  { name: 'tracing', dependencies: ['config'] },
);
