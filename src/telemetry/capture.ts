/**
 * The in-process capture of `otelpoc run` without a backend: the SDK's own InMemoryMetricExporter,
 * asking the SDK for the run's kind (temporality, histogram aggregation), whose exports we fold and
 * translate the way the pipeline does (OTLP → Prometheus naming with unit and _total suffixes,
 * attributes → labels, cumulative `le` buckets), so verify runs the same checks on it. Every kind is
 * held exactly: a cumulative point replaces the series' last one; a delta point is added to it (the
 * deltas summed, as a backend storing raw deltas is read); an exponential histogram is kept as its
 * count and sum, as a Prometheus native histogram is read (histogram_count, histogram_sum). No
 * pipeline is involved: it proves the instrumentation and the counting, not the delivery (nor the
 * protocol: nothing is encoded).
 */
import type { ExportResult } from '@opentelemetry/core';
import {
  type AggregationOption,
  AggregationTemporality,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  InMemoryMetricExporter,
  InstrumentType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { DEFAULT_OTLP_KIND, type OtlpKind } from './config.js';
import { histogramSelector } from './provider.js';

/** A Prometheus-style sample: metric name, labels, value. */
export interface CapturedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** An exponential histogram, held as a native histogram is read (value = its count). */
  histogram?: { count: number; sum: number; buckets: number };
}

/** One series as folded so far: a number, or a histogram (explicit: its bucket counts). */
interface Held {
  metric: MetricData;
  attributes: Record<string, unknown>;
  value: number;
  count: number;
  sum: number;
  counts?: number[];
  boundaries?: number[];
  buckets?: number;
}

/** The spec's temporality preferences (OTLP exporter spec): delta and lowmemory keep up-down counters cumulative. */
function temporalityOf(kind: OtlpKind['temporality'], type: InstrumentType): AggregationTemporality {
  const upDown =
    type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER;
  if (kind === 'delta' && !upDown) return AggregationTemporality.DELTA;
  if (kind === 'lowmemory' && (type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM))
    return AggregationTemporality.DELTA;
  return AggregationTemporality.CUMULATIVE;
}

export class CaptureExporter extends InMemoryMetricExporter {
  #exports = 0;
  // Our own record of shutdown (the SDK's `_shutdown` is protected, an internal that may change).
  #shutdown = false;
  readonly #held = new Map<string, Held>();
  readonly #kind: OtlpKind;
  readonly #aggregation: (type: InstrumentType) => AggregationOption;

  constructor(kind: OtlpKind = DEFAULT_OTLP_KIND) {
    super(AggregationTemporality.CUMULATIVE);
    this.#kind = kind;
    this.#aggregation = histogramSelector(kind.histogram);
  }

  override selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return temporalityOf(this.#kind.temporality, type);
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.#aggregation(type);
  }

  override export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    // Only the latest export is read, so the earlier ones are not kept (a long run exports often).
    // After shutdown the SDK exporter refuses the export and keeps what it had: `run` verifies
    // after the server (and its meter provider) stopped.
    if (!this.#shutdown) {
      this.reset();
      this.#exports++;
      for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) this.#fold(m);
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

  /** Every series as folded over the exports, as Prometheus samples (empty before the first export). */
  samples(): CapturedSample[] {
    return [...this.#held.values()].flatMap(toSamples);
  }

  /** A cumulative point replaces the series' last one; a delta point is added to it. */
  #fold(metric: MetricData): void {
    const delta = metric.aggregationTemporality === AggregationTemporality.DELTA;
    for (const dp of metric.dataPoints) {
      const key = JSON.stringify([metric.descriptor.name, dp.attributes]);
      const was = delta ? this.#held.get(key) : undefined;
      const next: Held = { metric, attributes: dp.attributes, value: 0, count: 0, sum: 0 };
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const h = dp.value as Histogram;
        next.count = h.count;
        next.sum = h.sum ?? 0;
        next.boundaries = h.buckets.boundaries;
        next.counts = h.buckets.counts.map((c, i) => c + (was?.counts?.[i] ?? 0));
      } else if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        const h = dp.value as ExponentialHistogram;
        next.count = h.count;
        next.sum = h.sum ?? 0;
        next.buckets = h.positive.bucketCounts.filter((c) => c > 0).length;
      } else {
        next.value = dp.value as number;
      }
      this.#held.set(key, {
        ...next,
        value: next.value + (was?.value ?? 0),
        count: next.count + (was?.count ?? 0),
        sum: next.sum + (was?.sum ?? 0),
        buckets: Math.max(next.buckets ?? 0, was?.buckets ?? 0),
      });
    }
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

function toSamples(held: Held): CapturedSample[] {
  const { metric } = held;
  const { name, unit } = metric.descriptor;
  const labels = labelsOf(held.attributes);
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    const base = prometheusName(name, unit, false);
    const out: CapturedSample[] = [];
    let cumulative = 0;
    (held.boundaries ?? []).forEach((bound, i) => {
      cumulative += held.counts?.[i] ?? 0;
      out.push({ name: `${base}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
    });
    out.push({ name: `${base}_bucket`, labels: { ...labels, le: '+Inf' }, value: held.count });
    out.push({ name: `${base}_sum`, labels, value: held.sum });
    out.push({ name: `${base}_count`, labels, value: held.count });
    return out;
  }
  if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
    const histogram = { count: held.count, sum: held.sum, buckets: held.buckets ?? 0 };
    return [{ name: prometheusName(name, unit, false), labels, value: held.count, histogram }];
  }
  const monotonic = metric.dataPointType === DataPointType.SUM && metric.isMonotonic;
  return [{ name: prometheusName(name, unit, monotonic), labels, value: held.value }];
}
