import { describe, expect, it } from 'vitest';
import { parseKeyValueList, resolveOtlpConfig } from '../../src/telemetry/config.js';

describe('resolveOtlpConfig', () => {
  it('defaults to localhost:4318/v1/metrics every 10 s', () => {
    expect(resolveOtlpConfig({}, {})).toEqual({
      metricsUrl: 'http://localhost:4318/v1/metrics',
      headers: {},
      exportIntervalMs: 10_000,
      exportTimeoutMs: 10_000,
    });
  });

  it('appends /v1/metrics to the generic endpoint, uses the metrics endpoint as is', () => {
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://alloy:4318/' }).metricsUrl).toBe(
      'http://alloy:4318/v1/metrics',
    );
    expect(
      resolveOtlpConfig(
        {},
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:2/custom',
        },
      ).metricsUrl,
    ).toBe('http://b:2/custom');
  });

  it('lets --otlp-endpoint and --export-interval win over env', () => {
    const c = resolveOtlpConfig(
      { otlpEndpoint: 'http://127.0.0.1:9/opentelemetry', exportIntervalMs: 1000 },
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:2/x', OTEL_METRIC_EXPORT_INTERVAL: '5000' },
    );
    expect(c.metricsUrl).toBe('http://127.0.0.1:9/opentelemetry/v1/metrics');
    expect(c.exportIntervalMs).toBe(1000);
    expect(c.exportTimeoutMs).toBe(1000); // clamped to the interval
  });

  it('reads headers, merged as the exporter merges them: signal-specific wins per name', () => {
    expect(
      resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: 'a=1,Authorization=Basic%20eA==' }).headers,
    ).toEqual({
      a: '1',
      Authorization: 'Basic eA==',
    });
    expect(
      resolveOtlpConfig(
        {},
        { OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=1', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=2' },
      ).headers,
    ).toEqual({ a: '1', b: '2' });
  });

  it.each([
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL: only "http/protobuf" is supported, got "grpc"',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' },
      'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: only "http/protobuf" is supported',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL',
    ],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '10s' },
      'OTEL_METRIC_EXPORT_INTERVAL: expected a whole number of milliseconds',
    ],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' },
      'OTEL_METRIC_EXPORT_TIMEOUT: 5000 ms is longer',
    ],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' },
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta" is not supported yet; otelpoc exports only "cumulative"',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory' },
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "LowMemory" is not supported yet',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "sometimes" is not a value the spec defines',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' },
      'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: "base2_exponential_bucket_histogram" is not supported yet',
    ],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => resolveOtlpConfig({}, env)).toThrow(message);
  });

  it('accepts http/protobuf explicitly', () => {
    expect(() => resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).not.toThrow();
  });

  it('accepts the kind it exports, in any case', () => {
    const env = {
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Cumulative',
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'EXPLICIT_BUCKET_HISTOGRAM',
    };
    expect(() => resolveOtlpConfig({}, env)).not.toThrow();
  });

  it('parses OTEL_RESOURCE_ATTRIBUTES-style lists', () => {
    expect(parseKeyValueList('deployment.environment=ci, team=obs', 'X')).toEqual({
      'deployment.environment': 'ci',
      team: 'obs',
    });
  });
});
