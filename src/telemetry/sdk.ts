/**
 * The OpenTelemetry Node SDK, set up from our settings: OTLP over HTTP (protobuf or JSON), the chosen sampler, and
 * `service.name`. Imported only by `start.ts`, only when tracing is on. The exporter and batch processor read the
 * further standard variables themselves (OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*), and OTEL_RESOURCE_ATTRIBUTES
 * adds resource attributes.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { traceHttpClient } from './http.js';
import type { TracingSettings } from './settings.js';
import { setTracer } from './tracing.js';

export interface RunningTracing {
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** Where finished spans go instead of the OTLP exporter (tests use an in-memory exporter). @default OTLP batch */
  spanProcessor?: SpanProcessor;
}

function sampler(settings: TracingSettings): Sampler {
  const root: Record<TracingSettings['sampler'], () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(settings.samplerRatio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) }),
  };
  return root[settings.sampler]();
}

function exporter(settings: TracingSettings) {
  return settings.protocol === 'http/json'
    ? new JsonTraceExporter({ url: settings.url })
    : new ProtobufTraceExporter({ url: settings.url });
}

export function startSdk(settings: TracingSettings, options: StartTracingOptions): RunningTracing {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': settings.serviceName }));
  const provider = new NodeTracerProvider({
    resource,
    sampler: sampler(settings),
    spanProcessors: [options.spanProcessor ?? new BatchSpanProcessor(exporter(settings))],
  });
  // Registers the AsyncLocalStorage context manager and the W3C trace context propagator.
  provider.register();
  setTracer(provider.getTracer('oauth-cc-worker'));
  const stopHttp = traceHttpClient();
  return {
    async shutdown() {
      stopHttp();
      setTracer(null);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
