import { describe, expect, it } from 'vitest';
import { parseKeyValueList, resolveOtlpConfig } from '../../src/telemetry/config.js';

describe('resolveOtlpConfig', () => {
  it('defaults to localhost:4318/v1/metrics every 10 s', () => {
    expect(resolveOtlpConfig({}, {})).toEqual({
      metricsUrl: 'http://localhost:4318/v1/metrics',
      protocol: 'http/protobuf',
      headers: {},
      exportIntervalMs: 10_000,
      exportTimeoutMs: 10_000,
      temporality: 'cumulative',
      histogram: { aggregation: 'explicit', maxSize: 160, maxScale: 20 },
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
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc/json' },
      'OTEL_EXPORTER_OTLP_PROTOCOL: expected one of http/protobuf, http/json, grpc, got "grpc/json"',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'json' },
      'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: expected one of http/protobuf, http/json, grpc, got "json"',
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
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: expected one of cumulative, delta, lowmemory, got "sometimes"',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'exponential' },
      'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: expected one of explicit_bucket_histogram, base2_exponential_bucket_histogram, got "exponential"',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317/v1/metrics' },
      'OTEL_EXPORTER_OTLP_ENDPOINT: a gRPC endpoint is a scheme, host and port only',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x!y=1' },
      'OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x!y" cannot be gRPC metadata',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: 'auth-bin=1' },
      'OTEL_EXPORTER_OTLP_HEADERS: "auth-bin" cannot be gRPC metadata',
    ],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => resolveOtlpConfig({}, env)).toThrow(message);
  });

  it.each([
    [{ protocol: 'udp' }, '--otlp-protocol: expected one of http/protobuf, http/json, grpc, got "udp"'],
    [{ temporality: 'both' }, '--temporality: expected one of cumulative, delta, lowmemory, got "both"'],
    [{ histogram: 'native' }, '--histogram: expected one of explicit, exponential, got "native"'],
    [{ exponentialMaxSize: 100 }, '--exponential-max-size: applies to exponential histograms only'],
    [{ histogram: 'exponential', exponentialMaxSize: 1 }, '--exponential-max-size: expected a whole number'],
    [
      { histogram: 'exponential', exponentialMaxSize: 2.5 },
      '--exponential-max-size: expected a whole number',
    ],
    [
      { histogram: 'exponential', exponentialMaxScale: 10 },
      '--exponential-max-scale: the OpenTelemetry JS SDK fixes the max scale at 20, got 10',
    ],
  ])('rejects the flags %o, naming the flag', (flags, message) => {
    expect(() => resolveOtlpConfig(flags, {})).toThrow(message);
  });

  it('reads the protocol: the metrics variable beats the generic one, the flag beats both, any case', () => {
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' }).protocol).toBe('http/json');
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' };
    expect(resolveOtlpConfig({}, env).protocol).toBe('grpc');
    expect(resolveOtlpConfig({ protocol: 'http/protobuf' }, env).protocol).toBe('http/protobuf');
  });

  it("uses the spec's default endpoint per protocol: 4318 + /v1/metrics for HTTP, 4317 with no path for gRPC", () => {
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).metricsUrl).toBe(
      'http://localhost:4318/v1/metrics',
    );
    // The command's default is an OTLP/HTTP one: gRPC takes the spec's.
    expect(
      resolveOtlpConfig({ protocol: 'grpc' }, {}, { otlpEndpoint: 'http://localhost:4318' }).metricsUrl,
    ).toBe('http://localhost:4317');
    expect(
      resolveOtlpConfig({ protocol: 'grpc' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:5317' }).metricsUrl,
    ).toBe('http://c:5317');
    expect(resolveOtlpConfig({ protocol: 'grpc', otlpEndpoint: 'http://f:1' }, {}).metricsUrl).toBe(
      'http://f:1',
    );
  });

  it('reads the temporality preference in any case; the flag wins', () => {
    const env = { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory' };
    expect(resolveOtlpConfig({}, env).temporality).toBe('lowmemory');
    expect(
      resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'DELTA' }).temporality,
    ).toBe('delta');
    expect(resolveOtlpConfig({ temporality: 'cumulative' }, env).temporality).toBe('cumulative');
  });

  it('reads the histogram aggregation by its spec names; the flags win and set the exponential parameters', () => {
    const env = {
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'Base2_Exponential_Bucket_Histogram',
    };
    expect(resolveOtlpConfig({}, env).histogram).toEqual({
      aggregation: 'exponential',
      maxSize: 160,
      maxScale: 20,
    });
    expect(resolveOtlpConfig({ histogram: 'explicit' }, env).histogram.aggregation).toBe('explicit');
    expect(
      resolveOtlpConfig({ histogram: 'exponential', exponentialMaxSize: 40, exponentialMaxScale: 20 }, {})
        .histogram,
    ).toEqual({ aggregation: 'exponential', maxSize: 40, maxScale: 20 });
    const explicit = {
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'EXPLICIT_BUCKET_HISTOGRAM',
    };
    expect(resolveOtlpConfig({}, explicit).histogram.aggregation).toBe('explicit');
  });

  it('parses OTEL_RESOURCE_ATTRIBUTES-style lists', () => {
    expect(parseKeyValueList('deployment.environment=ci, team=obs', 'X')).toEqual({
      'deployment.environment': 'ci',
      team: 'obs',
    });
  });
});
