import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { VERSION } from '../version.js';

export interface HistogramSeries {
  attrs: Attributes;
  startTime: HrTime;
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * A cumulative explicit-bucket histogram that we aggregate ourselves and hand to the SDK's metric
 * reader as a MetricProducer, so that it is exported exactly like an SDK histogram (same OTLP data
 * point: bounds, bucket counts, sum, count, min, max).
 *
 * Why not `meter.createHistogram`: the SDK hashes the attribute set (JSON-stringifying it) on every
 * `record`, which costs more than the rest of the request when `serve --delay 0` is benchmarked.
 * Here the caller keeps a handle per attribute set (built once) and `record` is a few additions.
 */
export class ExplicitHistogram implements MetricProducer {
  readonly #series = new Map<string, HistogramSeries>();
  readonly #name: string;
  readonly #unit: string;
  readonly #description: string;
  readonly #boundaries: readonly number[];

  constructor(opts: { name: string; unit: string; description: string; boundaries: readonly number[] }) {
    this.#name = opts.name;
    this.#unit = opts.unit;
    this.#description = opts.description;
    this.#boundaries = opts.boundaries;
  }

  /** The series for `key`; `attrs` is called once, when the key is new. */
  series(key: string, attrs: () => Attributes): HistogramSeries {
    let s = this.#series.get(key);
    if (!s) {
      s = {
        attrs: attrs(),
        startTime: hrTime(),
        counts: new Array(this.#boundaries.length + 1).fill(0),
        count: 0,
        sum: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
      };
      this.#series.set(key, s);
    }
    return s;
  }

  record(s: HistogramSeries, value: number): void {
    // Buckets are upper-inclusive: bucket i holds (boundaries[i-1], boundaries[i]]; the last, the rest.
    const b = this.#boundaries;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    s.counts[i]!++;
    s.count++;
    s.sum += value;
    if (value < s.min) s.min = value;
    if (value > s.max) s.max = value;
  }

  /** Every series so far (the request counter reads its counts from here). */
  all(): IterableIterator<HistogramSeries> {
    return this.#series.values();
  }

  async collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const metric: HistogramMetricData = {
      descriptor: {
        name: this.#name,
        unit: this.#unit,
        description: this.#description,
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.#series.values()].map((s) => ({
        attributes: s.attrs,
        startTime: s.startTime,
        endTime,
        value: {
          buckets: { boundaries: [...this.#boundaries], counts: [...s.counts] },
          count: s.count,
          sum: s.sum,
          min: s.min,
          max: s.max,
        },
      })),
    };
    return {
      // The reader keeps the SDK's resource and ignores this one.
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: metric.dataPoints.length
          ? [{ scope: { name: 'otelpoc', version: VERSION }, metrics: [metric] }]
          : [],
      },
      errors: [],
    };
  }
}
