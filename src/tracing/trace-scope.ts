/**
 * The tracing surface the rest of Keyfob uses (tracing/otlp-tracing.ts implements it with OpenTelemetry): a request's
 * span, children for the work it does, and one shared no-op span when tracing is off, so untraced code paths cost
 * nothing and the OpenTelemetry SDK is not even loaded.
 */
import type { Attributes } from '@opentelemetry/api';

/** A span that work below it can hang children on. */
export interface TraceScope {
  /** Starts a child span (end it with `end`). */
  child(name: string, attributes?: Attributes, kind?: 'client' | 'internal'): TracedSpan;
}

export interface TracedSpan extends TraceScope {
  set(attributes: Attributes): void;
  /** Ends the span; an error marks it failed with its code (never its message, which may name a vehicle). */
  end(error?: unknown): void;
  /** The W3C `traceparent` for an outgoing call, when upstream propagation is on. */
  traceparent(): string | undefined;
}

const NOOP: TracedSpan = {
  child: () => NOOP,
  set: () => undefined,
  end: () => undefined,
  traceparent: () => undefined,
};
/** The scope of an untraced request: every call on it does nothing. */
export const NO_TRACE: TracedSpan = NOOP;

/** A request's span (set by plugins/app/tracing.ts when tracing is on), or the shared no-op one. */
export function traceOf(request: { trace?: TracedSpan | null }): TracedSpan {
  return request.trace ?? NOOP;
}

export const TRACING_OFF: Tracing = {
  enabled: false,
  startRequest: () => NOOP,
  shutdown: async () => undefined,
};

export interface Tracing {
  readonly enabled: boolean;
  /** The span of an incoming request, continuing the caller's `traceparent` if it sent one. */
  startRequest(
    name: string,
    headers: Record<string, string | string[] | undefined>,
    attributes: Attributes,
  ): TracedSpan;
  /** Sends what is buffered and stops (at shutdown). */
  shutdown(): Promise<void>;
}
