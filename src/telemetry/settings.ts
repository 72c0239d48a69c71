/** Tracing settings from the standard OTEL_* variables (read and checked by config.ts). */
import type { Config } from '../config.js';

export type OtlpProtocol = Config['otelExporterOtlpProtocol'];
export type SamplerName = Config['otelTracesSampler'];

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
  sampler: SamplerName;
  /** Ratio of the `*traceidratio` samplers. */
  samplerRatio: number;
}

const DEFAULT_BASE_URL = 'http://localhost:4318';

/** The traces URL the OTLP specification derives from a base endpoint. */
const tracesUrl = (base: string) => `${base.replace(/\/+$/, '')}/v1/traces`;

/** The settings when tracing is switched on; null when it is off (the default). */
export function tracingSettings(config: Config): TracingSettings | null {
  if (config.otelSdkDisabled || config.otelTracesExporter === 'none') return null;
  const endpoint = config.otelExporterOtlpTracesEndpoint ?? config.otelExporterOtlpEndpoint;
  if (endpoint === undefined && config.otelTracesExporter !== 'otlp') return null;
  return {
    url: config.otelExporterOtlpTracesEndpoint ?? tracesUrl(config.otelExporterOtlpEndpoint ?? DEFAULT_BASE_URL),
    protocol: config.otelExporterOtlpTracesProtocol ?? config.otelExporterOtlpProtocol,
    serviceName: config.otelServiceName,
    sampler: config.otelTracesSampler,
    samplerRatio: config.otelTracesSamplerArg,
  };
}
