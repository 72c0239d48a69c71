import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { tracingSettings } from '../../src/telemetry/settings.js';

const settingsOf = (env: Record<string, string>) => tracingSettings(loadConfig(env));

describe('tracing settings from the standard OTEL_* variables', () => {
  it('is off when nothing is set, when the SDK is disabled, and with the exporter none', () => {
    expect(settingsOf({})).toBeNull();
    expect(settingsOf({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeNull();
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(
      settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeNull();
  });

  it('is switched on by an endpoint, sending to its /v1/traces with protobuf and every trace sampled', () => {
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/' })).toEqual({
      url: 'https://collector.example:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'oauth-cc-worker',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  it('uses a traces endpoint and protocol as given, over the general ones', () => {
    const settings = settingsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/otlp/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'billing-connections',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    });
    expect(settings).toMatchObject({
      url: 'http://tempo:4318/otlp/v1/traces',
      protocol: 'http/json',
      serviceName: 'billing-connections',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.1,
    });
  });

  it('is switched on by the otlp exporter alone, towards the local default receiver', () => {
    expect(settingsOf({ OTEL_TRACES_EXPORTER: 'otlp' })?.url).toBe('http://localhost:4318/v1/traces');
  });

  it('refuses gRPC, unknown samplers and ratios outside 0..1, naming the variable', () => {
    expect(() => settingsOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json \(grpc is not supported\)/,
    );
    expect(() => settingsOf({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER: must be one of/);
    expect(() => settingsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG: must be a number/);
    expect(() => settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/,
    );
  });
});
