import { randomUUID } from 'node:crypto';

import type { Meter } from '@opentelemetry/api';

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';

import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';

import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';

import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Env } from '../util/env.js';
import { errorMessage } from '../util/errors.js';
import { VERSION } from '../version.js';
import { type OtlpConfig, parseKeyValueList } from './config.js';

/** What the exporter has done so far; surfaced by serve, load and doctor (the SDK itself stays silent). */
export interface ExportStats {
  exports: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | undefined;
}

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

export function createOtlpExporter(config: OtlpConfig): PushMetricExporter {
  return new OTLPMetricExporter({
    url: config.metricsUrl,
    headers: config.headers,
    timeoutMillis: config.exportTimeoutMs,
    // Prometheus-style backends (Mimir, VictoriaMetrics) need cumulative sums; Alloy's Prometheus
    // exporter drops delta sums.
    temporalityPreference: AggregationTemporality.CUMULATIVE,
  });
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
