/**
 * BullMQ's telemetry option, built on the `bullmq-otel` add-on: a job added by a traced producer carries its trace
 * context (W3C `traceparent`, in the add-on's format, so a plain BullMQ producer using the same add-on links too),
 * and the worker's spans continue that trace.
 *
 * Two things are kept out of what the add-on would record: spans of BullMQ's housekeeping (fetching the next job,
 * extending locks, stalled checks: a root span each, many per second, none telling anything about a job), and the
 * job's return value on the `job completed` event (a call's answer is the provider's data, not ours to export).
 */

import { propagation } from '@opentelemetry/api';
import type {
  Attributes,
  ContextManager,
  Span as QueueSpan,
  SpanOptions as QueueSpanOptions,
  Tracer as QueueTracer,
  Telemetry,
} from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { tracingOn } from './tracing.js';

/** The BullMQ operations whose spans are kept: producing and processing a job. */
const KEPT_OPERATIONS = new Set(['add', 'addBulk', 'process']);
/** Attributes of the add-on's spans left out (see above). */
const DROPPED_ATTRIBUTES = new Set(['bullmq.job.result']);

const withoutDropped = (attributes: Attributes | undefined): Attributes | undefined => {
  if (!attributes) return attributes;
  const kept: Attributes = {};
  for (const key in attributes) if (!DROPPED_ATTRIBUTES.has(key)) kept[key] = attributes[key];
  return kept;
};

/** A span that records nothing and leaves the context as it is. */
const SKIPPED: QueueSpan = {
  setSpanOnContext: (ctx) => ctx,
  setAttribute: () => {},
  setAttributes: () => {},
  addEvent: () => {},
  recordException: () => {},
  end: () => {},
};

class FilteredSpan implements QueueSpan {
  constructor(private readonly span: QueueSpan) {}
  setSpanOnContext(ctx: unknown) {
    return this.span.setSpanOnContext(ctx);
  }
  setAttribute(key: string, value: Attributes[string]) {
    if (!DROPPED_ATTRIBUTES.has(key) && value !== undefined) this.span.setAttribute(key, value);
  }
  setAttributes(attributes: Attributes) {
    this.span.setAttributes(withoutDropped(attributes) ?? {});
  }
  addEvent(name: string, attributes?: Attributes) {
    this.span.addEvent(name, withoutDropped(attributes));
  }
  recordException(...args: Parameters<QueueSpan['recordException']>) {
    this.span.recordException(...args);
  }
  end() {
    this.span.end();
  }
}

class FilteredTracer implements QueueTracer {
  constructor(private readonly tracer: QueueTracer) {}
  startSpan(name: string, options?: QueueSpanOptions, ctx?: unknown): QueueSpan {
    const operation = name.split(' ', 1)[0] ?? '';
    if (!KEPT_OPERATIONS.has(operation)) return SKIPPED;
    return new FilteredSpan(this.tracer.startSpan(name, options, ctx));
  }
}

/** BullMQ telemetry from `bullmq-otel`, with housekeeping spans and job results left out. */
export function filteredBullMqTelemetry(): Telemetry {
  const otel = new BullMQOtel({ tracerName: 'oauth-cc-worker' });
  return { tracer: new FilteredTracer(otel.tracer), contextManager: otel.contextManager as ContextManager };
}

/**
 * True when this process has a context propagator registered (an OpenTelemetry SDK registers one): only then can a
 * job carry its producer's trace context.
 */
export function propagatorRegistered(): boolean {
  return propagation.fields().length > 0;
}

/**
 * The `telemetry` option for a Queue or Worker of this process: undefined without tracing, so that BullMQ takes its
 * untraced path and adds nothing to the jobs.
 */
export function queueTelemetry(): Telemetry | undefined {
  return tracingOn() ? filteredBullMqTelemetry() : undefined;
}
