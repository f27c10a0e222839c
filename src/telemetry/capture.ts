/**
 * The in-process capture of `otelpoc run` without a backend: the SDK's own InMemoryMetricExporter
 * (cumulative), whose latest export we translate the way the pipeline does (OTLP → Prometheus naming
 * with unit and _total suffixes, attributes → labels, cumulative `le` buckets), so verify runs the
 * same checks on it. No pipeline is involved: it proves the instrumentation and the counting, not
 * the delivery.
 */
import type { ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** A Prometheus-style sample: metric name, labels, value. */
export interface CapturedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class CaptureExporter extends InMemoryMetricExporter {
  #exports = 0;
  // Our own record of shutdown (the SDK's `_shutdown` is protected, an internal that may change).
  #shutdown = false;

  constructor() {
    // Cumulative: the latest export holds every series' total since the start.
    super(AggregationTemporality.CUMULATIVE);
  }

  override export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    // Only the latest export is read, so the earlier ones are not kept (a long run exports often).
    // After shutdown the SDK exporter refuses the export and keeps what it had: `run` verifies
    // after the server (and its meter provider) stopped.
    if (!this.#shutdown) {
      this.reset();
      this.#exports++;
    }
    super.export(metrics, done);
  }

  override shutdown(): Promise<void> {
    this.#shutdown = true;
    return super.shutdown();
  }

  get exports(): number {
    return this.#exports;
  }

  /** The latest export as Prometheus samples (empty before the first export). */
  samples(): CapturedSample[] {
    const out: CapturedSample[] = [];
    for (const scope of this.getMetrics().at(-1)?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) out.push(...toSamples(metric));
    }
    return out;
  }
}

const UNIT_SUFFIX: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes' };

/** OTel metric name + unit → Prometheus name, as Prometheus' OTLP translation does with suffixes on. */
export function prometheusName(name: string, unit: string, monotonicSum: boolean): string {
  let out = sanitize(name);
  const suffix = unit.startsWith('{') ? undefined : UNIT_SUFFIX[unit];
  if (suffix && !out.endsWith(`_${suffix}`)) out += `_${suffix}`;
  if (monotonicSum && !out.endsWith('_total')) out += '_total';
  return out;
}

function sanitize(text: string): string {
  const s = text.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function labelsOf(attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) out[sanitize(k)] = String(v);
  return out;
}

function toSamples(metric: MetricData): CapturedSample[] {
  const { name, unit } = metric.descriptor;
  const out: CapturedSample[] = [];
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    const base = prometheusName(name, unit, false);
    for (const dp of metric.dataPoints) {
      const labels = labelsOf(dp.attributes);
      const h = dp.value as Histogram;
      let cumulative = 0;
      h.buckets.boundaries.forEach((bound, i) => {
        cumulative += h.buckets.counts[i] ?? 0;
        out.push({ name: `${base}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
      });
      out.push({ name: `${base}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      out.push({ name: `${base}_sum`, labels, value: h.sum ?? 0 });
      out.push({ name: `${base}_count`, labels, value: h.count });
    }
  } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    const monotonic = metric.dataPointType === DataPointType.SUM && metric.isMonotonic;
    const promName = prometheusName(name, unit, monotonic);
    for (const dp of metric.dataPoints) {
      out.push({ name: promName, labels: labelsOf(dp.attributes), value: dp.value as number });
    }
  }
  return out;
}
