/**
 * The tracing port: the only functions the rest of the code calls to make spans. With tracing off (the default) no
 * tracer is set and every helper runs its function straight away, without touching the OpenTelemetry API: the call
 * path pays one comparison. `start.ts` sets the tracer when OTEL_* variables switch tracing on.
 *
 * Attributes and span status never hold a secret: only names, ids, codes and counts go in, and an error's message is
 * used only when it is an AppError (whose messages are written secret-free); any other error shows its type alone.
 */
import {
  type Attributes,
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { isAppError } from '../errors.js';
import { ATTR } from './attributes.js';

let tracer: Tracer | null = null;

const JOB_SPAN = createContextKey('oauth-cc job span');

/** What helpers hand their function without tracing: one shared span that records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Set by `start.ts` when tracing starts (and cleared when it stops). */
export function setTracer(next: Tracer | null): void {
  tracer = next;
}

export function tracingOn(): boolean {
  return tracer !== null;
}

/** Marks a span failed with what is safe to show of `error`: its code, and its message only for an AppError. */
export function recordFailure(span: Span, error: unknown): void {
  if (isAppError(error)) {
    span.setAttributes({ [ATTR.errorType]: error.code, [ATTR.errorKind]: error.kind });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `[${error.code}] ${error.message}` });
    return;
  }
  const type = error instanceof Error ? error.constructor.name : typeof error;
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

export interface SpanOptions<T> {
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** Called with the result before the span ends: attributes learnt from it. @default none */
  onResult?: (span: Span, result: T) => void;
}

/**
 * Runs `fn` in a span named `name` (a child of the active span), ended when `fn` settles; a rejection marks it
 * failed and passes on unchanged. Without tracing: `fn()`.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions<T> = {},
): Promise<T> {
  if (tracer === null) return fn(NO_SPAN);
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      const result = await fn(span);
      options.onResult?.(span, result);
      return result;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `fn` in a job's span: `annotateJob` reaches it from any span below. Without tracing: `fn()`. */
export function inJobSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  if (tracer === null) return fn(NO_SPAN);
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) =>
    context.with(context.active().setValue(JOB_SPAN, span), async () => {
      try {
        return await fn(span);
      } finally {
        span.end();
      }
    }),
  );
}

/** Adds attributes to the enclosing job's span (what a job learns on the way, such as the connector). */
export function annotateJob(attributes: Attributes): void {
  if (tracer === null) return;
  (context.active().getValue(JOB_SPAN) as Span | undefined)?.setAttributes(attributes);
}

/** Marks the enclosing job's span failed with `error` (see `recordFailure`). */
export function recordJobFailure(error: unknown): void {
  if (tracer === null) return;
  const span = context.active().getValue(JOB_SPAN) as Span | undefined;
  if (span) recordFailure(span, error);
}

/** Adds attributes to the active span. */
export function annotate(attributes: Attributes): void {
  if (tracer === null) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** The tracer, for spans that do not wrap one function (the HTTP client spans); null without tracing. */
export function activeTracer(): Tracer | null {
  return tracer;
}

/** `trace_id` and `span_id` of the active span, for log lines (pino's mixin: a new object each time). */
export function activeTraceIds(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
