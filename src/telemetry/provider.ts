import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Metadata } from '@grpc/grpc-js';
import type { Meter } from '@opentelemetry/api';

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';

import {
  type AggregationOption,
  AggregationType,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Env } from '../util/env.js';
import { errorMessage } from '../util/errors.js';
import { VERSION } from '../version.js';
import { type HistogramConfig, type OtlpConfig, parseKeyValueList, type Temporality } from './config.js';
import type { ExportStats } from './export-totals.js';

export interface MetricsPipeline {
  meter: Meter;
  resource: Resource;
  stats: Readonly<ExportStats>;
  /** Collects and exports everything recorded so far. */
  forceFlush(): Promise<void>;
  /**
   * Final flush, then stops the periodic export. Safe to call twice. `maxWaitMs` bounds the wait for
   * the final export (its retries go on in the background and are abandoned at exit).
   */
  shutdown(opts?: { maxWaitMs?: number }): Promise<void>;
}

export interface MetricsPipelineOptions {
  exporter: PushMetricExporter;
  exportIntervalMs: number;
  exportTimeoutMs: number;
  env: Env;
  /** Called once at the start of each streak of failed exports, with the reason. */
  onExportFailure?: (reason: string) => void;
  /** Called when exports succeed again after a streak of `failedExports` failures. */
  onExportRecovered?: (failedExports: number) => void;
}

/** Far above what our own cardinality caps allow, so the SDK's overflow never hides a series. */
const CARDINALITY_LIMIT = 100_000;

/**
 * The official exporter of the configured protocol (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC),
 * with the configured temporality preference and histogram aggregation. Both are the exporter's:
 * PeriodicExportingMetricReader takes its temporality and aggregation selectors from the exporter
 * (sdk-metrics 2.x, export/PeriodicExportingMetricReader.js), so every stream built on this exporter
 * (single, per tenant, doctor's probe) exports the same kind. The temporality is always passed:
 * otherwise the exporter would read OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE from
 * process.env itself, not from the env otelpoc was given.
 */
export function createOtlpExporter(config: OtlpConfig): PushMetricExporter {
  const kind = {
    timeoutMillis: config.exportTimeoutMs,
    temporalityPreference: TEMPORALITY_PREFERENCE[config.temporality],
    aggregationPreference: histogramSelector(config.histogram),
  };
  switch (config.protocol) {
    case 'http/protobuf':
      return new ProtoMetricExporter({ url: config.metricsUrl, headers: config.headers, ...kind });
    case 'http/json':
      return new JsonMetricExporter({ url: config.metricsUrl, headers: config.headers, ...kind });
    case 'grpc':
      // gRPC has no HTTP headers: the exporter sends `metadata` (its `headers` option does not exist).
      return new (loadGrpc().Exporter)({
        url: config.metricsUrl,
        metadata: metadataOf(config.headers),
        ...kind,
      });
  }
}

/**
 * The gRPC exporter and @grpc/grpc-js, loaded on first use: grpc-js alone adds about 0.2 s to every
 * start (measured: `node -e "require('@grpc/grpc-js')"` 0.36 s against 0.13 s for nothing), which
 * the HTTP protocols should not pay. Both are CommonJS, so a synchronous require keeps
 * createOtlpExporter synchronous.
 */
function loadGrpc(): { Exporter: typeof GrpcMetricExporter; Metadata: typeof Metadata } {
  const require = createRequire(import.meta.url);
  const exporter = require('@opentelemetry/exporter-metrics-otlp-grpc') as {
    OTLPMetricExporter: typeof GrpcMetricExporter;
  };
  const grpc = require('@grpc/grpc-js') as { Metadata: typeof Metadata };
  return { Exporter: exporter.OTLPMetricExporter, Metadata: grpc.Metadata };
}

const TEMPORALITY_PREFERENCE: Readonly<Record<Temporality, AggregationTemporalityPreference>> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

/**
 * Histograms as configured, every other instrument as the SDK's default. Explicit: DEFAULT, which
 * keeps the instrument's advice (its explicitBucketBoundaries). Exponential: base-2 exponential
 * with `maxSize` buckets per sign (the SDK fixes the start scale at 20; config.ts accepts no other).
 */
export function histogramSelector(histogram: HistogramConfig): (type: InstrumentType) => AggregationOption {
  return (type) =>
    type === InstrumentType.HISTOGRAM && histogram.aggregation === 'exponential'
      ? {
          type: AggregationType.EXPONENTIAL_HISTOGRAM,
          options: { maxSize: histogram.maxSize, recordMinMax: true },
        }
      : { type: AggregationType.DEFAULT };
}

function metadataOf(headers: Record<string, string>): Metadata {
  const metadata = new (loadGrpc().Metadata)();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/** service.name / service.version / service.instance.id, overridden by OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. */
export function createResource(env: Env): Resource {
  const fromEnv: Record<string, string> = parseKeyValueList(
    env.OTEL_RESOURCE_ATTRIBUTES ?? '',
    'OTEL_RESOURCE_ATTRIBUTES',
  );
  if (env.OTEL_SERVICE_NAME) fromEnv['service.name'] = env.OTEL_SERVICE_NAME;
  return defaultResource()
    .merge(
      resourceFromAttributes({
        'service.name': 'otelpoc',
        'service.version': VERSION,
        'service.instance.id': randomUUID(),
      }),
    )
    .merge(resourceFromAttributes(fromEnv));
}

export function createMetricsPipeline(options: MetricsPipelineOptions): MetricsPipeline {
  const stats: ExportStats = { exports: 0, failures: 0, consecutiveFailures: 0, lastError: undefined };
  const exporter = observeExports(options.exporter, stats, options);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: options.exportIntervalMs,
    exportTimeoutMillis: options.exportTimeoutMs,
    cardinalityLimits: { default: CARDINALITY_LIMIT },
  });
  const resource = createResource(options.env);
  const provider = new MeterProvider({ resource, readers: [reader] });
  let shutdownPromise: Promise<void> | undefined;
  return {
    meter: provider.getMeter('otelpoc', VERSION),
    resource,
    stats,
    forceFlush: () => provider.forceFlush(),
    shutdown: (opts = {}) => {
      shutdownPromise ??= (async () => {
        const final = provider.shutdown();
        if (opts.maxWaitMs === undefined) return final;
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<true>((resolve) => {
          timer = setTimeout(() => resolve(true), opts.maxWaitMs);
          timer.unref();
        });
        const timedOut = await Promise.race([
          final.then(
            () => false,
            () => false,
          ),
          gaveUp,
        ]);
        clearTimeout(timer);
        if (timedOut) {
          // Count the abandoned final export as failed, so every caller reports the loss.
          stats.exports++;
          stats.failures++;
          stats.consecutiveFailures++;
          stats.lastError = `the final export did not complete within ${opts.maxWaitMs} ms`;
        }
      })();
      return shutdownPromise;
    },
  };
}

/** Wraps an exporter to count exports and report failure streaks once, instead of once per interval. */
function observeExports(
  inner: PushMetricExporter,
  stats: ExportStats,
  hooks: Pick<MetricsPipelineOptions, 'onExportFailure' | 'onExportRecovered'>,
): PushMetricExporter {
  return observedExporter(inner, () => (result) => {
    stats.exports++;
    if (result.code === ExportResultCode.SUCCESS) {
      if (stats.consecutiveFailures > 0) hooks.onExportRecovered?.(stats.consecutiveFailures);
      stats.consecutiveFailures = 0;
    } else {
      stats.failures++;
      stats.lastError = result.error ? errorMessage(result.error) : 'export failed';
      if (stats.consecutiveFailures === 0) hooks.onExportFailure?.(stats.lastError);
      stats.consecutiveFailures++;
    }
  });
}

/**
 * The one exporter observer (the export counts here, the canary's export log): `observe` is called
 * as an export starts, with what is exported, and returns what is called with its result, before
 * the SDK gets that result. Everything else is the inner exporter's.
 */
export function observedExporter(
  inner: PushMetricExporter,
  observe: (metrics: ResourceMetrics) => (result: ExportResult) => void,
): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      const settled = observe(metrics);
      inner.export(metrics, (result) => {
        settled(result);
        done(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  };
}
