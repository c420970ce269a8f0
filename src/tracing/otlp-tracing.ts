/**
 * OpenTelemetry traces (loaded only when on), off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per request, with child spans for the
 * session read, a token refresh and each upstream call, sent in batches to an OTLP/HTTP collector.
 *
 * Parents are passed explicitly (a request's `trace`, handed to what it calls) rather than through an async
 * context manager: AsyncLocalStorage's promise hooks cost about 100 µs of CPU per proxied call on Node 20
 * (README: Performance), paid by every request whether traced or not. Off, every scope is one shared no-op object.
 *
 * What spans may hold follows the log's rules: route templates and redacted paths (VINs masked, codes and states
 * replaced), statuses and outcomes, the request id the log lines carry; never a token, code, key, user id or VIN.
 * Providers learn our trace ids only with OTEL_PROPAGATE_UPSTREAM=true (`traceparent` on upstream calls).
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 */
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracedSpan, Tracing } from './trace-scope.ts';

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

export function createOtlpTracing(
  settings: { endpoint: string; serviceName: string; propagateUpstream: boolean; sampleRatio: number },
  options: { exportDelayMs?: number } = {},
): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/$/, '')}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    // Head sampling: a request outside the ratio gets non-recording spans (next to no cost) unless its caller's
    // trace was sampled already.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportDelayMs ?? 1000 })],
  });
  const tracer = provider.getTracer('keyfob');
  const propagator = new W3CTraceContextPropagator();

  function wrap(span: Span): TracedSpan {
    const parent = trace.setSpan(ROOT_CONTEXT, span);
    const traced: TracedSpan = {
      child(name, attributes, kind = 'internal') {
        return wrap(
          tracer.startSpan(name, { attributes, kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL }, parent),
        );
      },
      set: (attributes) => void span.setAttributes(attributes),
      end(error) {
        if (error !== undefined) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode(error) });
          span.setAttribute('error.type', errorCode(error));
        }
        span.end();
      },
      traceparent() {
        if (!settings?.propagateUpstream) return undefined;
        const carrier: Record<string, string> = {};
        propagator.inject(parent, carrier, defaultTextMapSetter);
        return carrier.traceparent;
      },
    };
    return traced;
  }

  return {
    enabled: true,
    startRequest(name, headers, attributes) {
      const incoming = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      return wrap(tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, incoming));
    },
    shutdown: () => provider.shutdown(),
  };
}
